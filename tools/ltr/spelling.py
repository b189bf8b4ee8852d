"""Spelling correction of queries against the catalog's own vocabulary (SymSpell).

The dictionary is every word of the catalog's titles with its count, so corrections
only ever lead to words the catalog uses. A query word is left alone when the
catalog knows it, when it is short or has digits; otherwise the most frequent word
within `max_distance` edits replaces it, and a word the catalog writes as two
("deckover") may be split when both halves are known.

    >>> speller = Speller.from_counts({"bracket": 40, "angle": 30})
    >>> speller.correct("angle brakcet")
    'angle bracket'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from tools.ltr.features import tokens

MIN_LENGTH = 4
MIN_COUNT = 2


class Speller:
    """Query correction against a fixed word-count dictionary."""

    def __init__(self, counts: Mapping[str, int], max_distance: int = 2) -> None:
        from symspellpy import SymSpell

        self.counts = {w: c for w, c in counts.items() if c >= MIN_COUNT and w.isalpha()}
        self.max_distance = max_distance
        self._sym = SymSpell(max_dictionary_edit_distance=max_distance, prefix_length=7)
        for word, count in self.counts.items():
            self._sym.create_dictionary_entry(word, count)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], max_distance: int = 2) -> Speller:
        return cls({w: max(c, MIN_COUNT) for w, c in counts.items()}, max_distance)

    @classmethod
    def from_texts(cls, texts: Iterable[str], max_distance: int = 2) -> Speller:
        """A speller whose dictionary is the words of `texts`, counted."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(tokens(text))
        return cls(counts, max_distance)

    def word(self, word: str) -> str:
        """The correction of one lower-cased word (itself when known or not correctable)."""
        from symspellpy import Verbosity

        if len(word) < MIN_LENGTH or not word.isalpha() or word in self.counts:
            return word
        distance = 1 if len(word) < 6 else self.max_distance
        found = self._sym.lookup(word, Verbosity.TOP, max_edit_distance=distance)
        if found:
            return str(found[0].term)
        for cut in range(3, len(word) - 2):
            left, right = word[:cut], word[cut:]
            if left in self.counts and right in self.counts:
                return f"{left} {right}"
        return word

    def correct(self, text: str) -> str:
        """`text` with every unknown word corrected, lower-cased and re-joined by spaces."""
        return " ".join(self.word(w) for w in tokens(text))
