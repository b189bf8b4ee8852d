"""The catalog's nouns: title heads, the phrases that end in them, and facet words.

Built once per index version from the item titles and facet counts, so that related
searches and titles can be checked against what the catalog really holds without a
search per phrase. A title's head is the last word of its core ("Banana Nutmeg
Pancakes" -> "pancakes"; "Bookshelf — glass, white" -> "bookshelf"); the core stops
at the first bracket, dash or comma. Film titles are names, not noun phrases, so the
video vertical contributes its genres and their decades instead.

>>> terms = build_terms(
...     [("ideas", "Corn Pancakes (Arepa)"), ("ideas", "Corn Pancakes II"),
...      ("ideas", "Blueberry Pancakes"), ("ideas", "Sweet Corn"), ("ideas", "Creamed Corn")],
...     FacetVocabulary())
>>> terms.head("ideas", "pancake")
('pancakes', 3)
>>> terms.phrases("ideas", "pancakes")
[('corn pancakes', 2)]
>>> terms.is_noun("corn"), terms.is_noun("how")
(True, False)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from tools.facets import FacetVocabulary

MIN_SUPPORT = 2
_CORE_END = re.compile(r"\s+[—–-]\s+|[(\[,:;/]")
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]")
_NUMERAL = frozenset("i ii iii iv v vi vii viii ix x".split())
_NOT_HEADS = frozenset(
    "a an the and or of in on with for to from by style recipe recipes easy quick best my".split()
)


def stem(word: str) -> str:
    """A plural folded to its singular, enough to key 'pancakes' with 'pancake'."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "oes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def title_core(title: str) -> list[str]:
    """The lower-cased words of a title's core, trailing numerals ("II") dropped."""
    core = _CORE_END.split(title.lower(), maxsplit=1)[0]
    words = _WORD.findall(core)
    while words and words[-1] in _NUMERAL:
        words.pop()
    return words


class CatalogTerms(BaseModel):
    """Counts of the catalog's nouns and the phrases that end in them, per vertical."""

    heads: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="vertical -> head stem -> items whose title ends so."
    )
    surface: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="vertical -> head stem -> commonest spelling."
    )
    head_phrases: dict[str, dict[str, dict[str, int]]] = Field(
        default_factory=dict, description="vertical -> head stem -> 2-3 word phrase -> items."
    )
    words: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="vertical -> title word -> items whose title has it."
    )
    facet_words: dict[str, int] = Field(
        default_factory=dict, description="Words of facet values (categories, genres, colours)."
    )
    genre_decades: dict[str, dict[int, int]] = Field(
        default_factory=dict, description="Video genre -> decade -> films."
    )

    def head(self, vertical: str, word: str) -> tuple[str, int] | None:
        """The head's spelling and item count in `vertical`, None under `MIN_SUPPORT`."""
        key = stem(word)
        count = self.heads.get(vertical, {}).get(key, 0)
        if count < MIN_SUPPORT:
            return None
        return self.surface[vertical][key], count

    def phrases(self, vertical: str, head: str) -> list[tuple[str, int]]:
        """Phrases ending in `head` that name at least `MIN_SUPPORT` items, commonest first."""
        found = self.head_phrases.get(vertical, {}).get(stem(head), {})
        return sorted(found.items(), key=lambda p: (-p[1], p[0]))

    def knows(self, vertical: str, word: str) -> bool:
        """True when `word` occurs in a title of `vertical` or in a facet value."""
        low = word.lower()
        return bool(self.words.get(vertical, {}).get(low) or self.facet_words.get(low))

    def is_noun(self, word: str) -> bool:
        """True when `word` heads item titles or is a word of a facet value."""
        key = stem(word)
        if self.facet_words.get(word.lower(), 0) or self.facet_words.get(key, 0):
            return True
        return any(heads.get(key, 0) >= MIN_SUPPORT for heads in self.heads.values())


def _facet_words(facets: FacetVocabulary) -> dict[str, int]:
    out: Counter[str] = Counter()
    for table in (facets.categories, facets.idea_categories, facets.genres, facets.diets,
                  facets.colors, facets.brands):  # fmt: skip
        for value, n in table.items():
            for word in _WORD.findall(value.lower()):
                out[word] += n
                out[stem(word)] += n
    return dict(out)


def build_terms(
    titles: Iterable[tuple[str, str]],
    facets: FacetVocabulary,
    genre_years: Iterable[tuple[str, int]] = (),
) -> CatalogTerms:
    """Terms from (vertical, title) pairs, the facet counts and (genre, year) pairs."""
    heads: dict[str, Counter[str]] = defaultdict(Counter)
    spellings: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    phrases: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    brands = {b.lower() for b in facets.brands}
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for vertical, title in titles:
        seen[vertical].update(set(_WORD.findall(title.lower())))
        if vertical == "video":
            continue
        words = title_core(title)
        if not words or words[-1] in _NOT_HEADS or words[-1] in brands:
            continue
        key = stem(words[-1])
        heads[vertical][key] += 1
        spellings[vertical][key][words[-1]] += 1
        for size in (2, 3):
            if len(words) >= size and not set(words[-size:-1]) & _NOT_HEADS:
                phrases[vertical][key][" ".join(words[-size:])] += 1
    decades: dict[str, Counter[int]] = defaultdict(Counter)
    for genre, year in genre_years:
        decades[genre.lower()][year // 10 * 10] += 1
    terms = CatalogTerms(
        heads={v: dict(c) for v, c in heads.items()},
        words={v: dict(c) for v, c in seen.items()},
        surface={
            v: {k: c.most_common(1)[0][0] for k, c in by.items()} for v, by in spellings.items()
        },  # fmt: skip
        facet_words=_facet_words(facets),
        genre_decades={g: dict(c) for g, c in decades.items()},
    )
    terms.head_phrases = {
        v: {key: _kept(terms, found) for key, found in by_head.items()}
        for v, by_head in phrases.items()
    }
    return terms


def _kept(terms: CatalogTerms, found: Counter[str]) -> dict[str, int]:
    """Phrases with support whose words before the head are nouns of the catalog; a
    two-word phrase that only ever occurs inside one longer phrase gives way to it."""
    kept = {
        p: n
        for p, n in found.items()
        if n >= MIN_SUPPORT and all(terms.is_noun(w) for w in p.split()[:-1])
    }
    return {
        p: n
        for p, n in kept.items()
        if not any(q != p and q.endswith(" " + p) and m == n for q, m in kept.items())
    }
