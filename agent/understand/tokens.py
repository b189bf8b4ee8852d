"""The words of a request: its clean text, the words that carry meaning, and its topic.

>>> content_tokens("cheap soup recipes for 4")
['soup', '4']
"""

from __future__ import annotations

import re
import unicodedata

from agent.understand.lexicon import GENERIC_WORDS, MEASURES, STOPWORDS
from tools.text_clean import strip_controls

TOKEN = re.compile(r"[\w$'\-]+", re.UNICODE)
_RELATION = re.compile(
    r"\b(?:to\s+go\s+with|(?:that|which)\s+(?:works?|goes|fits?)\s+(?:with|on|in)|"
    r"compatible\s+with|works?\s+with|to\s+fit|for|with)\b",
    re.I,
)
"""Where what is wanted ends and what it is for begins: 'mouse for my laptop', 'a case to
go with my phone', 'keyboard that works with my tablet', 'hammock with a stand'."""


def normalise(text: str, max_chars: int) -> tuple[str, bool]:
    """Control and format characters out, NFKC, collapse whitespace, cut at `max_chars`
    on a word boundary."""
    text = " ".join(unicodedata.normalize("NFKC", strip_controls(text)).split())
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
    return cut, True


def content_tokens(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased tokens that carry meaning (no stopwords, no generic request words but
    those of `names`, the words of a product the clause names: 'watch' in 'smart watch')."""
    return [
        t
        for t in TOKEN.findall(MEASURES.sub(" ", text.lower()))
        if t not in STOPWORDS and (t not in GENERIC_WORDS or t in names)
    ]


def topic_tokens(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """`content_tokens` with the head kept apart from its context: the first relation word
    stays between them ('mouse for laptop', 'hammock with stand'), so the head of
    'X for Y' is read as X, never Y; compatibility phrases ('to go with', 'that works
    with', 'compatible with') are written as 'for'."""
    m = _RELATION.search(text)
    if m is None:
        return content_tokens(text, names)
    head = content_tokens(text[: m.start()], names)
    context = content_tokens(text[m.end() :], names)
    if not head or not context:
        return head + context
    return [*head, "with" if m.group(0).lower() == "with" else "for", *context]
