"""Edit arithmetic shared by the speller: what one slip of the keyboard can turn a word into.

>>> sorted(w for w in one_edit("cat") if w in {"act", "cart", "cut", "at"})
['act', 'at', 'cart', 'cut']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHORT_WORD = 5
"""Up to this length a correction may only restore a dropped letter or unswap two."""
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_GLUE = set("-_$/@#&+%*=~^|\\'")
TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass
class Token:
    start: int
    end: int
    text: str

    @property
    def word(self) -> str:
        return self.text.lower()


def out_word(out: list[tuple[int, int, str]], text: str, tok: Token) -> str | None:
    """The corrected form of the word just before `tok`, when it was corrected."""
    if out and text[out[-1][1] : tok.start].strip() == "":
        return out[-1][2].lower().split()[-1]
    return None


def free(text: str, start: int, end: int) -> bool:
    """A word standing on its own: not glued to digits, hyphens or symbols."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isdigit() or after.isdigit() or before in _GLUE or after in _GLUE)


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in cuts if b),
        *(a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1),
        *(a + c + b[1:] for a, b in cuts if b for c in _LETTERS),
        *(a + c + b for a, b in cuts for c in _LETTERS),
    }


def unlikely_slip(word: str, term: str) -> bool:
    """True when a short `word` would become `term` by a replaced or an extra letter:
    in short words those more often make another word ('cozy', 'copy'; 'moen', 'men')
    than a slip, while a dropped or swapped letter ('piza', 'chiar') rarely does."""
    if len(word) > SHORT_WORD:
        return False
    if len(term) == len(word):
        return sorted(term) != sorted(word)
    return len(term) < len(word)


def same_stem(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return long in (short + "s", short + "es")


def cased(typed: str, word: str) -> str:
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
