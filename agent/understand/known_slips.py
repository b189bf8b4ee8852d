"""Slips that land on a word the catalog knows: the speller's second look at known words.

A known word is never changed for being unknown, but it may still be a slip:

- in context: the catalog's titles pair its neighbour with a word one slip away, and
  never with the word as typed ('desk lamb' -> 'desk lamp');
- by rarity: the catalog holds it in a title or two, English lacks it, and an English
  word one slip away is far more frequent, counted in the vertical the request names
  ('vampyre films' -> 'vampire films'; 'chocolat movie' stays, since 'Chocolat' is a
  film and chocolate mostly a recipe). Typed beside a neighbour it has in a title
  ('vampyre circus') it stays.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.understand.edits import same_stem, unlikely_slip
from agent.understand.lexicon import VERTICAL_CUES
from agent.understand.words import REQUEST_WORDS, CatalogWords
from tools.catalog import Vertical

RARE = 3
"""A catalog word this rare, and not English, may be a slip for a common one."""
RARE_LEAD = 5
"""A rare word's common neighbour must be this many times as frequent ('vampyre': 1,
'vampire': 23)."""
MIN_COMMON = 5
CONTEXT_PAIR = 5
"""A known word changes to fit its neighbour only when the catalog holds that pair this
often."""

ENDINGS = frozenset({"s", "es", "d", "ed", "r", "er", "ing"})

Candidates = list[tuple[str, int, int]]
"""(word, count, edits) one slip away, as the speller's dictionary finds them."""


def in_context(
    catalog: CatalogWords,
    english: Mapping[str, int],
    word: str,
    prev: str | None,
    nxt: str | None,
    found: Candidates,
) -> str | None:
    """The candidate its neighbour goes with in the titles, for a word that goes with
    neither neighbour (the caller checks `pairs_with`); a plural of the word is the same
    word ('office chairs' stays). Both are English (or the typed word rare, 'chocolat
    cake'), the candidate the more common in English and at least twice as common in
    the catalog: a slip lands on a rarer word ('lamb' for 'lamp'), while 'outdoor
    cooler' or 'microwave over stove' stay."""
    typed = english.get(word, 0)
    if not typed and catalog.words[word] > RARE:
        return None
    before = prev if prev and prev not in REQUEST_WORDS else ""
    after = nxt if nxt and nxt not in REQUEST_WORDS else ""
    pairs = catalog.pairs
    scored = [
        (pairs.get((before, t), 0) + pairs.get((t, after), 0), t)
        for t, count, _ in found
        if not inflected(word, t)
        and english.get(t, 0) >= max(typed, 1)
        and count >= 2 * catalog.words[word]
    ]
    best = max(scored, default=(0, ""))
    return best[1] if best[0] >= CONTEXT_PAIR else None


def rare_slip(
    catalog: CatalogWords,
    english: Mapping[str, int],
    word: str,
    found: Candidates,
    vertical: Vertical | None,
) -> str | None:
    """The far more frequent English candidate of a rare, non-English catalog word that
    goes with neither neighbour (the caller checks `pairs_with`)."""
    if not 0 < catalog.words[word] <= RARE or word in english or word in REQUEST_WORDS:
        return None
    table = catalog.by_vertical.get(vertical, catalog.words) if vertical else catalog.words
    best = max(
        ((table.get(t, 0), t) for t, _, _ in found if t in english and not unlikely_slip(word, t)),
        default=(0, ""),
    )
    needed = max(MIN_COMMON, RARE_LEAD * max(table.get(word, 0), 1))
    return best[1] if best[0] >= needed else None


def pairs_with(catalog: CatalogWords, word: str, prev: str | None, nxt: str | None) -> bool:
    """Whether `word` stands beside a neighbour (not a request word) as in a title."""
    pairs = catalog.pairs
    return bool(
        (prev and prev not in REQUEST_WORDS and pairs.get((prev, word), 0))
        or (nxt and nxt not in REQUEST_WORDS and pairs.get((word, nxt), 0))
    )


def named_vertical(words: list[str]) -> Vertical | None:
    """The one vertical the request's own words name ('films', 'recipes'), if any."""
    named = {v for v, cues in VERTICAL_CUES.items() if cues.intersection(words)}
    return named.pop() if len(named) == 1 else None


def inflected(word: str, other: str) -> bool:
    """Whether one is the other with an ending ('chairs', 'nailers', 'hinged')."""
    short, long = sorted((word, other), key=len)
    return same_stem(word, other) or (long.startswith(short) and long[len(short) :] in ENDINGS)
