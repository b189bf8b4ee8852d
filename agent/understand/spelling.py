"""Spelling correction of requests against the catalog's own words (SymSpell).

The dictionary is the catalog's vocabulary (`CatalogWords`: titles, categories, facet
values, brands, genres, with counts) plus the request words the reader knows; the
English frequency list says which words are English already and breaks ties. Precision
comes first, since a wrong correction is worse than none:

- a word the catalog or the reader knows is never changed for being unknown (though
  it may be a slip onto a known word, `known_slips`: 'desk lamb', 'vampyre films'),
  nor an English word (unless the last rule applies), a word of an amount the quantity reader finds
  ('under 20 mins'), a word touching digits, hyphens or symbols (prices, units, model
  codes), a word of three letters or fewer, or one written in capitals;
- two words the catalog writes as one, and never apart, are joined ('lap top' ->
  'laptop'); a word the catalog writes as two is split ('coffeemaker' -> 'coffee
  maker');
- an unknown word becomes the catalog word that makes a pair with a neighbour the
  catalog's titles hold ('harry poter' -> 'harry potter'), else the catalog word fewest
  edits away when one candidate clearly leads (1 edit up to seven letters, 2 beyond; up
  to five letters only a dropped letter restored or two letters unswapped), else an
  English word one edit away whose first letters the catalog uses ('animted' ->
  'animated'); an English word the catalog lacks changes only to make such a pair
  ('toy storey' -> 'toy story'). Every candidate keeps the first letter.

    >>> speller = Speller(CatalogWords.from_texts(["Basic Lasagna", "Coffee Maker"] * 2))
    >>> speller.correct("lazagna and a coffeemaker")
    'lasagna and a coffee maker'
"""

from __future__ import annotations

from agent.understand.edits import (
    TOKEN,
    Token,
    cased,
    free,
    one_edit,
    out_word,
    same_stem,
    unlikely_slip,
)
from agent.understand.known_slips import (
    RARE,
    in_context,
    named_vertical,
    pairs_with,
    rare_slip,
)
from agent.understand.quantities import read_quantities
from agent.understand.words import REQUEST_WORDS, CatalogWords, english_counts
from tools.catalog import Vertical

MIN_LENGTH = 4
LONG_WORD = 6
"""Words this long may be split in two."""
TWO_EDITS = 8
"""Words this long may be two edits from their correction; shorter ones one."""
MIN_PAIR = 2
MIN_JOINED = 5
LEAD = 2.0
"""The best candidate's count must be at least this multiple of the runner-up's."""
REQUEST_COUNT = 50
"""Added to a request word's count ('recipe' over 'receipt' for 'receipe')."""
STEM = 5


class Speller:
    """Query correction against one catalog's words; build once per index version."""

    def __init__(self, catalog: CatalogWords) -> None:
        from symspellpy import SymSpell

        self.catalog = catalog
        self.english = english_counts()
        self._sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in catalog.words.items():
            if len(word) >= MIN_LENGTH - 1 and word not in REQUEST_WORDS:
                self._sym.create_dictionary_entry(word, count)
        for word in REQUEST_WORDS:
            if len(word) >= MIN_LENGTH - 1:
                self._sym.create_dictionary_entry(word, catalog.words[word] + REQUEST_COUNT)

    def correct(self, text: str) -> str:
        """`text` with slips corrected; everything else (case, spacing, punctuation,
        numbers) stays as typed."""
        tokens = [
            Token(m.start(), m.end(), m.group(0))
            for m in TOKEN.finditer(text)
            if free(text, m.start(), m.end())
        ]
        out: list[tuple[int, int, str]] = []
        vertical = named_vertical([t.word for t in tokens])
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and text[tok.end : nxt.start] == " ":
                joined = self._join(tok.word, nxt.word)
                if joined:
                    out.append((tok.start, nxt.end, cased(tok.text, joined)))
                    i += 2
                    continue
            prev = out_word(out, text, tok) or (tokens[i - 1].word if i else None)
            fixed = self._word(tok, prev, nxt.word if nxt else None, vertical)
            if fixed != tok.word:
                out.append((tok.start, tok.end, cased(tok.text, fixed)))
            i += 1
        if out:
            amounts = [(q.start, q.end) for q in read_quantities(text)]
            out = [o for o in out if not any(o[0] < end and start < o[1] for start, end in amounts)]
        for start, end, new in reversed(out):
            text = text[:start] + new + text[end:]
        return text

    def known(self, word: str) -> bool:
        """True when the catalog or the reader holds `word`, or the catalog holds the
        singular of a plural `word` ('trowels', 'trowel'): it is never changed."""
        if word in REQUEST_WORDS or word in self.catalog.words:
            return True
        if not word.endswith("s") or word.endswith("ss"):
            return False
        singular = (word[:-1], word[:-2] if word.endswith("es") else "")
        return any(s in self.catalog.words for s in singular if s)

    def _join(self, left: str, right: str) -> str | None:
        if left in REQUEST_WORDS or right in REQUEST_WORDS or min(len(left), len(right)) < 3:
            return None
        joined = left + right
        count = self.catalog.words.get(joined, 0)
        if count >= MIN_JOINED and self.catalog.pairs.get((left, right), 0) == 0:
            return joined
        return None

    def _word(
        self, tok: Token, prev: str | None, nxt: str | None, vertical: Vertical | None
    ) -> str:
        word = tok.word
        if len(word) < MIN_LENGTH or tok.text.isupper():
            return word
        if self.known(word):
            if not (prev or nxt or self.catalog.words[word] <= RARE) or word in REQUEST_WORDS:
                return word
            if pairs_with(self.catalog, word, prev, nxt):
                return word
            found = self._candidates(word, 1)
            near = in_context(self.catalog, self.english, word, prev, nxt, found)
            return near or rare_slip(self.catalog, self.english, word, found, vertical) or word
        split = self._split(word)
        if split:
            return split
        if word in self.english:
            return self._fitting(self._candidates(word, 1), prev, nxt) or word
        return self._closest(word, prev, nxt) or word

    def _split(self, word: str) -> str | None:
        if len(word) < LONG_WORD:
            return None
        best = max(
            ((self.catalog.pairs.get((word[:c], word[c:]), 0), c) for c in range(3, len(word) - 2)),
            default=(0, 0),
        )
        return f"{word[: best[1]]} {word[best[1] :]}" if best[0] >= MIN_PAIR else None

    def _candidates(self, word: str, distance: int) -> list[tuple[str, int, int]]:
        """Dictionary words within `distance` edits that keep the first letter (people
        seldom slip on it): (word, count, edits)."""
        from symspellpy import Verbosity

        found = self._sym.lookup(word, Verbosity.ALL, max_edit_distance=distance)
        return [
            (str(s.term), int(s.count), int(s.distance))
            for s in found
            if s.term != word and s.term[:1] == word[:1]
        ]

    def _closest(self, word: str, prev: str | None, nxt: str | None) -> str | None:
        found = self._candidates(word, 2 if len(word) >= TWO_EDITS else 1)
        fitting = self._fitting(found, prev, nxt)
        found = [f for f in found if not unlikely_slip(word, f[0])]
        if fitting or not found:
            return fitting or self._english_near(word)
        nearest = min(d for _, _, d in found)
        ranked = sorted(
            ((c, t) for t, c, d in found if d == nearest),
            key=lambda ct: (-ct[0], -self.english.get(ct[1], 0)),
        )
        count, best = ranked[0]
        rivals = [c for c, t in ranked[1:] if not same_stem(t, best)]
        return best if not rivals or count >= LEAD * rivals[0] else None

    def _fitting(
        self, found: list[tuple[str, int, int]], prev: str | None, nxt: str | None
    ) -> str | None:
        """The candidate that makes the most frequent catalog pair with a neighbour."""
        pairs = self.catalog.pairs
        before = prev if prev and prev not in REQUEST_WORDS else ""
        after = nxt if nxt and nxt not in REQUEST_WORDS else ""
        scored = [
            (pairs.get((before, t), 0) + pairs.get((t, after), 0), -d, t)
            for t, _, d in found
            if t in self.catalog.words
        ]
        best = max(scored, default=(0, 0, ""))
        return best[2] if best[0] >= MIN_PAIR else None

    def _english_near(self, word: str) -> str | None:
        """The most frequent English word one edit away whose first letters begin a
        catalog word ('animted' -> 'animated', as in 'animation')."""
        scored = [
            (self.english[w], w)
            for w in one_edit(word)
            if w in self.english
            and w[:1] == word[:1]
            and w[:STEM] in self.catalog.stems
            and not unlikely_slip(word, w)
        ]
        return max(scored)[1] if scored else None
