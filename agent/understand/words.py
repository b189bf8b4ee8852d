"""The words a speller may trust: the catalog's own, the reader's, and English.

`CatalogWords` counts every word of the catalog's titles and facet values (categories,
brands, genres, diets, colours) and every pair of words that stand side by side in a
title ('coffee maker'); it is read once per index version. `english_counts()` is the
English frequency list shipped with symspellpy, read once per process.

    >>> words = CatalogWords.from_texts(["Coffee Maker — black", "Basic Lasagna"])
    >>> words.words["coffee"], words.pairs[("coffee", "maker")]
    (1, 1)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from agent.understand.lexicon import GENERIC_WORDS, STOPWORDS, VERTICAL_CUES
from tools.catalog import VERTICALS, Vertical
from tools.facets import FacetVocabulary

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
ENGLISH_FILE = "frequency_dictionary_en_82_765.txt"

REQUEST_WORDS = frozenset(
    {w for ws in VERTICAL_CUES.values() for w in ws if w.isalpha()} | GENERIC_WORDS | STOPWORDS
)
"""Words the reader takes as request words ('recipes', 'movies', 'cheap'): known, and
targets of correction ('recipies' -> 'recipes') though no title holds them."""


class WordSource(Protocol):
    """What the catalog words are read from (a `CatalogIndex`)."""

    @property
    def version(self) -> int: ...

    def titles(self, vertical: Vertical) -> list[str]: ...

    def facets(self) -> FacetVocabulary: ...


def words_of(text: str) -> list[str]:
    """Lower-cased words (letters only) of `text`, in order."""
    return WORD.findall(text.lower())


@dataclass
class CatalogWords:
    """Word and adjacent-pair counts of the catalog's titles and facet values."""

    words: Counter[str] = field(default_factory=Counter)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    stems: set[str] = field(default_factory=set)
    """The first five letters of every word: what an English correction must begin."""
    by_vertical: dict[Vertical, Counter[str]] = field(default_factory=dict)
    """Word counts of each vertical's titles alone ('chocolat' is a film's word)."""

    def add(self, text: str, count: int = 1) -> None:
        found = words_of(text)
        for word in found:
            self.words[word] += count
            self.stems.add(word[:5])
        for pair in zip(found, found[1:], strict=False):
            self.pairs[pair] += count

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], facets: Mapping[str, int] | None = None
    ) -> CatalogWords:
        """Counts over `texts` (each counted once) and `facets` (value -> item count)."""
        built = cls()
        for text in texts:
            built.add(text)
        for value, count in (facets or {}).items():
            built.add(value, count)
        return built

    @classmethod
    def from_index(cls, index: WordSource) -> CatalogWords:
        """Every title of every vertical, and every facet value with its item count."""
        vocab = index.facets()
        facets: Counter[str] = Counter()
        for table in (
            vocab.categories,
            vocab.idea_categories,
            vocab.genres,
            vocab.brands,
            vocab.diets,
            vocab.colors,
        ):
            facets.update(table)
        titled = {vertical: index.titles(vertical) for vertical in VERTICALS}
        built = cls.from_texts((t for titles in titled.values() for t in titles), facets)
        for vertical, titles in titled.items():
            built.by_vertical[vertical] = Counter(w for t in titles for w in words_of(t))
        return built


@lru_cache(maxsize=1)
def english_counts() -> dict[str, int]:
    """The English word frequencies shipped with symspellpy (82,765 words)."""
    import symspellpy

    path = Path(symspellpy.__file__).with_name(ENGLISH_FILE)
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, count = line.partition(" ")
            counts[word] = int(count)
    return counts
