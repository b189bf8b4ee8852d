"""Control and format characters out of request text, before anything reads it.

A query may carry what no person means to search for: NUL bytes, C0/C1 controls,
bidi overrides and isolates, zero-width characters, terminal escape sequences
('ESC [ 31 m'). They are removed (whitespace controls become spaces) so no reader,
title, reason or echoed query ever holds them.

    >>> strip_controls("so\\u200bup\\u202e recipes\\x00")
    'soup recipes'
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: titles, links
    r"|\x1b[ -/]*[0-~]"  # other two-character escapes
)
_SPACES = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def _kept(ch: str) -> str:
    if ch in _SPACES:
        return " "
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
        return ""
    return ch


def strip_controls(text: str) -> str:
    """`text` without escape sequences, control, format or surrogate characters;
    line breaks and tabs become spaces."""
    if text.isprintable() and "\x1b" not in text:
        return text
    return "".join(_kept(ch) for ch in _ESCAPES.sub("", text))
