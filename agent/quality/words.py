"""The words of a sub-query that must be answered, and of an item that may answer them.

Shared by the relevance gate (`agent.quality.relevance`), the relaxation ladder
(`agent.nodes.assess`) and the evals: stemmed content words without stopwords, request
words, occasions, audiences and judgements, and the head of the query's noun phrase.
"""

from __future__ import annotations

import re

from agent.understand.lexicon import GENERIC_WORDS, MEASURES, STOPWORDS
from tools.catalog import CatalogItem
from tools.lexical import IRREGULAR_PLURALS
from tools.rows import build_row

_WORD = re.compile(r"[a-z0-9]+")
_OCCASIONS = frozenset(
    "dinner dinners lunch lunches supper meal meals dish dishes snack snacks weeknight "
    "party night something anything make making cook cooking bake baking homemade easy "
    "quick simple".split()
)
_AUDIENCES = frozenset(
    "kid kids child children toddler toddlers teen teens boy boys girl girls man men woman "
    "women adult adults school office work weekend holiday holidays halloween christmas "
    "thanksgiving easter birthday wedding date summer winter gift gifts".split()
)
"""Who or when an item is for, not what it is: a catalog rarely names them, so a
backpack answers 'kids backpack' and a cookie 'halloween cookie'."""
_JUDGEMENTS = frozenset(
    "cheap cheaper cheapest inexpensive affordable budget pricier pricey expensive "
    "premium best better good great top popular favourite favorite nice new newer newest "
    "latest recent old older shorter longer short long".split()
)
"""Words that rank or bound what is asked for (price, quality, age, length): filters
and the ranking answer them, and no item's text carries them."""


def stem(word: str) -> str:
    """A crude stem so 'chairs' and 'chair', 'cookies' and 'cookie', 'berries' and
    'berry', 'mice' and 'mouse' meet."""
    word = IRREGULAR_PLURALS.get(word, word)
    if word.endswith("es") and len(word) > 4 and word[:-2].endswith(("ss", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("ie") and len(word) > 4:
        return word[:-2]
    if word.endswith("y") and len(word) > 3:
        return word[:-1]
    return word


def query_words(text: str) -> list[str]:
    """The stemmed words of a sub-query that must be answered, in order (no stopwords,
    no request words, no occasions or audiences, no bare numbers)."""
    words = [
        stem(w)
        for w in _WORD.findall(MEASURES.sub(" ", text.lower()))
        if w not in STOPWORDS
        and w not in GENERIC_WORDS
        and w not in _OCCASIONS
        and w not in _AUDIENCES
        and w not in _JUDGEMENTS
        and not w.isdigit()
    ]
    return list(dict.fromkeys(words))


def query_terms(text: str) -> set[str]:
    """`query_words` as a set."""
    return set(query_words(text))


def head_word(text: str) -> str | None:
    """The head of the sub-query's noun phrase: its last content word before a
    preposition ('drill' in 'cordless drill', 'perfume' in 'perfume for men')."""
    lowered = text.lower()
    first = re.split(r"\b(?:for|with|about|from|in|on|by|without|under|over)\b", lowered)[0]
    words = query_words(first) or query_words(lowered)
    return words[-1] if words else None


def words_of(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower())}


def item_terms(item: CatalogItem) -> tuple[set[str], set[str]]:
    """(title words, every indexed word) of an item."""
    row = build_row(item)
    return words_of(item.title), words_of(row.embed_text)


def one_edit(a: str, b: str) -> bool:
    """True when `a` becomes `b` by one inserted, deleted, replaced or swapped letter."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            i = diff[0]
            return a[i] == b[i + 1] and a[i + 1] == b[i]
        return len(diff) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((n for n, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def near_cover(terms: set[str], words: set[str]) -> float:
    """The share of `terms` found in `words` exactly or, for words of four letters or
    more, within one typing slip ('cofee' meets 'coffee')."""
    if not terms:
        return 0.0
    found = 0
    for term in terms:
        if term in words or (
            len(term) >= 4 and any(len(w) >= 4 and one_edit(term, w) for w in words)
        ):
            found += 1
    return found / len(terms)
