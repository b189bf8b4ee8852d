"""Features of (query, item) pairs for the learned ranker, from what retrieval computed.

A `Candidate` carries plain values only: the item's text fields and attributes, and
what each retriever said about it (rank, score, BM25 per field, cosine). `extract`
turns a query and its candidates into one row per candidate, columns in `FEATURES`
order. Missing values (an item one retriever never returned, a product without a
rating) are NaN, which the gradient-boosted trees route on their own.

    >>> rows = extract("angle bracket", [Candidate(id="1", title="Steel Angle Bracket")])
    >>> rows.shape == (1, len(FEATURES))
    True
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, Field

from tools.catalog import BaseItem
from tools.lexical import STOPWORDS

FIELDS = ("title", "description", "tags", "extra")
FEATURES: tuple[str, ...] = (
    "lex_score",
    "lex_rank",
    "lex_rel",
    "bm25_title",
    "bm25_description",
    "bm25_tags",
    "bm25_extra",
    "dense_cos",
    "dense_rank",
    "dense_rel",
    "rrf",
    "in_both",
    "title_coverage",
    "title_fuzzy_coverage",
    "all_terms_in_title",
    "text_coverage",
    "last_term_in_title",
    "first_term_in_title",
    "phrase_in_title",
    "bigram_coverage",
    "numbers_matched",
    "numbers_missing",
    "title_trigram_jaccard",
    "first_match_position",
    "title_tokens",
    "query_terms",
    "brand_in_query",
    "colour_in_query",
    "category_in_query",
    "rating",
    "available",
    "log_price",
    "units_matched",
    "units_conflict",
    "title_head_in_query",
    "head_coverage",
    "compound_match",
    "coverage_rel",
    "jaccard_rel",
    "jaccard_rank",
    "cosine_rank",
    "lex_top",
    "pool_all_terms",
    "query_chars",
    "title_idf_coverage",
    "title_idf_fuzzy_coverage",
    "idf_coverage_rel",
    "idf_missing",
    "semantic_cos",
    "semantic_rel",
    "semantic_rank",
)
"""Column names, in the order `extract` writes them."""
GROUPS: dict[str, tuple[str, ...]] = {
    "lexical": ("lex_score", "lex_rank", "lex_rel", "bm25_title", "bm25_description",
                "bm25_tags", "bm25_extra", "rrf"),
    "dense": ("dense_cos", "dense_rank", "dense_rel", "rrf", "in_both"),
    "matching": ("title_coverage", "title_fuzzy_coverage", "all_terms_in_title",
                 "text_coverage", "last_term_in_title", "first_term_in_title", "phrase_in_title",
                 "bigram_coverage", "title_trigram_jaccard", "first_match_position"),
    "numbers": ("numbers_matched", "numbers_missing", "units_matched", "units_conflict"),
    "attributes": ("brand_in_query", "colour_in_query", "category_in_query", "rating",
                   "available", "log_price"),
    "head": ("title_head_in_query", "head_coverage"),
    "compound": ("compound_match",),
    "relative": ("coverage_rel", "jaccard_rel", "jaccard_rank", "cosine_rank"),
    "idf": ("title_idf_coverage", "title_idf_fuzzy_coverage", "idf_coverage_rel", "idf_missing"),
    "query": ("lex_top", "pool_all_terms", "query_chars"),
    "semantic": ("semantic_cos", "semantic_rel", "semantic_rank"),
}  # fmt: skip
"""Features by the evidence they come from, for ablations."""

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'/][a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[./]\d+)?")
RRF_K = 60
COLUMNS: dict[str, int] = {name: k for k, name in enumerate(FEATURES)}


class Candidate(BaseModel):
    """One retrieved item as the ranker sees it; every field is a plain value."""

    id: str
    title: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    brand: str | None = None
    colors: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    rating: float | None = None
    available: bool | None = None
    price: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None
    field_scores: tuple[float, float, float, float] | None = Field(
        default=None, description="Negated BM25 of title, description, tags, extra alone."
    )
    dense_rank: int | None = None
    dense_score: float | None = Field(default=None, description="Cosine to the query.")
    semantic_score: float | None = Field(
        default=None, description="Cosine of the title to the query in the second encoder's space."
    )


class TermStats(BaseModel):
    """Document frequency of title stems over a catalog, for IDF-weighted coverage.

    Built from the catalog's titles (no judgment enters it) and saved with the model
    that was trained on them; a stem the catalog never had counts as the rarest.
    """

    docs: int = 0
    df: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def from_titles(cls, titles: Iterable[str]) -> TermStats:
        counts: Counter[str] = Counter()
        docs = 0
        for title in titles:
            counts.update({_stem(w) for w in tokens(title)})
            docs += 1
        return cls(docs=docs, df=dict(counts))

    def idf(self, stem: str) -> float:
        """BM25's IDF, log(1 + (N - df + 0.5) / (df + 0.5))."""
        df = self.df.get(stem, 0)
        return math.log1p((self.docs - df + 0.5) / (df + 0.5))


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens ("1/2", "2.5", "x4" stay whole)."""
    return _TOKEN.findall(text.lower())


def content_terms(text: str) -> list[str]:
    """Query tokens without stopwords (all tokens when only stopwords are left)."""
    words = tokens(text)
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(kept))


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


_UNIT = re.compile(
    r"(\d+(?:[./]\d+)?)\s*-?\s*(inch(?:es)?|in\b|\"|''|feet|foot|ft\b|volts?|v\b|gallons?|gal\b"
    r"|pounds?|lbs?\b|watts?|w\b|amps?|amp\b|ounces?|oz\b|mm\b|cm\b|btu\b|pieces?|pcs?\b"
    r"|pack|pk\b|gauge|ga\b|quarts?|qt\b|sq\.?\s*ft|cu\.?\s*ft|psi\b|hp\b|lights?|light\b)"
)
_UNIT_NAMES = {
    "inch": "in", "inches": "in", '"': "in", "''": "in", "feet": "ft", "foot": "ft",
    "volt": "v", "volts": "v", "gallon": "gal", "gallons": "gal", "pound": "lb",
    "pounds": "lb", "lbs": "lb", "watt": "w", "watts": "w", "amps": "amp", "ounce": "oz",
    "ounces": "oz", "piece": "pc", "pieces": "pc", "pcs": "pc", "pk": "pack", "ga": "gauge",
    "quart": "qt", "quarts": "qt", "lights": "light",
}  # fmt: skip
HEAD = 4
"""Title words counted as its head (brand and product type lead Home Depot-style titles)."""


def units(text: str) -> frozenset[tuple[str, str]]:
    """(number, unit) pairs with the unit normalised: "18-Volt" and "18v" both give (18, v)."""
    found = set()
    for number, unit in _UNIT.findall(text.lower()):
        unit = re.sub(r"[\s.]+", " ", unit).strip()
        unit = {"sq ft": "sqft", "cu ft": "cuft"}.get(unit, unit)
        found.add((number, _UNIT_NAMES.get(unit, unit)))
    return frozenset(found)


def _trigrams(words: Sequence[str]) -> frozenset[str]:
    squeezed = " " + " ".join(words) + " "
    return frozenset({squeezed[i : i + 3] for i in range(len(squeezed) - 2)})


class _Profile(NamedTuple):
    """What matching needs of an item's text, independent of the query."""

    words: str
    stems: tuple[str, ...]
    stem_set: frozenset[str]
    text_set: frozenset[str]
    adjacent: frozenset[tuple[str, str]]
    grams: frozenset[str]
    numbers: frozenset[str]
    units: frozenset[tuple[str, str]]
    unit_names: frozenset[str]
    prefixes: dict[str, tuple[int, ...]]
    head: frozenset[str]
    joined: frozenset[str]
    first: str


PROFILES = 100_000
"""Items whose text profile a process keeps (least recently used go first)."""


@lru_cache(maxsize=PROFILES)
def _profile(title: str, text: str) -> _Profile:
    words = tokens(title)
    stems = tuple(_stem(w) for w in words)
    stem_set = frozenset(stems)
    prefixes: dict[str, list[int]] = {}
    for w in stem_set:
        if len(w) >= 4:
            prefixes.setdefault(w[:4], []).append(len(w))
    found = units(title)
    return _Profile(
        words=" ".join(stems),
        stems=stems,
        stem_set=stem_set,
        text_set=stem_set | {_stem(w) for w in tokens(text)} if text.strip() else stem_set,
        adjacent=frozenset(zip(stems, stems[1:], strict=False)),
        grams=_trigrams(words),
        numbers=frozenset(_NUMBER.findall(title.lower())),
        units=found,
        unit_names=frozenset(u for _, u in found),
        prefixes={k: tuple(v) for k, v in prefixes.items()},
        head=frozenset(stems[:HEAD]),
        joined=frozenset(a + b for a, b in zip(words, words[1:], strict=False)),
        first=stems[0] if stems else "",
    )


def _item_text(cand: Candidate) -> str:
    return cand.description + " " + " ".join(cand.tags)


def prime(candidates: Iterable[Candidate]) -> int:
    """Build the text profiles of `candidates` ahead of their first query, so that
    re-ranking never pays for them on a request; how many were primed. At most
    `PROFILES` are kept, so priming stops there."""
    primed = 0
    for cand in candidates:
        if primed == PROFILES:
            break
        _profile(cand.title, _item_text(cand))
        primed += 1
    return primed


def _fuzzy_hit(term: str, prof: _Profile) -> bool:
    """The term, a word sharing its first four letters and about its length, or a word
    containing it with at most four letters more."""
    if term in prof.stem_set:
        return True
    if len(term) < 4:
        return False
    size = len(term)
    if any(abs(n - size) <= 2 for n in prof.prefixes.get(term[:4], ())):
        return True
    return term in prof.words and any(term in w and len(w) - size <= 4 for w in prof.stem_set)


def _column(values: Sequence[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def _rank_desc(values: np.ndarray) -> np.ndarray:
    """1 for the largest value; NaN values rank last."""
    filled = np.where(np.isnan(values), -np.inf, values)
    order = np.argsort(-filled, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks


def extract(
    query: str, candidates: Sequence[Candidate], stats: TermStats | None = None
) -> np.ndarray:
    """One feature row per candidate (see `FEATURES`), float32; the IDF-weighted
    columns stay missing without the catalog's `stats`."""
    out = np.full((len(candidates), len(FEATURES)), np.nan, dtype=np.float32)
    if not candidates:
        return out
    terms = content_terms(query)
    stems = [_stem(t) for t in terms]
    first, last = (stems[0], stems[-1]) if stems else ("", "")
    bigrams = list(zip(stems, stems[1:], strict=False))
    query_words = tokens(query)
    compounds = {a + b for a, b in zip(query_words, query_words[1:], strict=False)}
    numbers = frozenset(_NUMBER.findall(query.lower()))
    query_units = units(query)
    phrase = " ".join(_stem(w) for w in query_words)
    query_grams = _trigrams(query_words)
    query_text = f" {' '.join(query_words)} "
    query_stems = frozenset(_stem(w) for w in query_words)
    n = max(len(stems), 1)
    weights = [stats.idf(s) for s in stems] if stats else []
    idf_total = sum(weights)
    col_idf = COLUMNS["title_idf_coverage"]

    lex = _column([c.lexical_score for c in candidates])
    dense = _column([c.dense_score for c in candidates])
    lex_rank = _column([c.lexical_rank for c in candidates])
    dense_rank = _column([c.dense_rank for c in candidates])
    col = COLUMNS
    out[:, col["lex_score"]] = lex
    out[:, col["lex_rank"]] = lex_rank
    lex_top = np.nanmax(lex) if np.isfinite(lex).any() else math.nan
    if lex_top > 0:
        out[:, col["lex_rel"]] = lex / lex_top
    out[:, col["lex_top"]] = lex_top
    fields = [c.field_scores for c in candidates]
    for k, name in enumerate(FIELDS):
        out[:, col[f"bm25_{name}"]] = _column([f[k] if f else None for f in fields])
    out[:, col["dense_cos"]] = dense
    out[:, col["dense_rank"]] = dense_rank
    if np.isfinite(dense).any():
        out[:, col["dense_rel"]] = dense - np.nanmax(dense)
        out[:, col["cosine_rank"]] = _rank_desc(dense)
    rrf = np.nan_to_num(1.0 / (RRF_K + lex_rank)) + np.nan_to_num(1.0 / (RRF_K + dense_rank))
    semantic = _column([c.semantic_score for c in candidates])
    if np.isfinite(semantic).any():
        out[:, col["semantic_cos"]] = semantic
        out[:, col["semantic_rel"]] = semantic - np.nanmax(semantic)
        out[:, col["semantic_rank"]] = _rank_desc(semantic)
    out[:, col["rrf"]] = rrf
    out[:, col["in_both"]] = np.isfinite(lex_rank) & np.isfinite(dense_rank)
    out[:, col["query_terms"]] = len(terms)
    out[:, col["query_chars"]] = len(query.strip())
    out[:, col["rating"]] = _column([c.rating for c in candidates])
    out[:, col["available"]] = _column(
        [None if c.available is None else float(c.available) for c in candidates]
    )
    out[:, col["log_price"]] = np.log1p(_column([c.price for c in candidates]))

    start, stop = col["title_coverage"], col["title_tokens"] + 1
    extra = col["units_matched"]
    wanted_units: dict[str, list[str]] = {}
    for number, unit in query_units:
        wanted_units.setdefault(unit, []).append(number)
    for row, cand in enumerate(candidates):
        prof = _profile(cand.title, _item_text(cand))
        title_set = prof.stem_set
        hits = [s in title_set for s in stems]
        fuzzy = [h or _fuzzy_hit(s, prof) for s, h in zip(stems, hits, strict=True)]
        matched = sum(hits)
        positions = [prof.stems.index(s) for s, h in zip(stems, hits, strict=True) if h]
        out[row, start:stop] = (
            matched / n,
            sum(fuzzy) / n,
            float(bool(stems) and matched == len(stems)),
            sum(s in prof.text_set for s in stems) / n,
            float(last in title_set),
            float(first in title_set),
            float(bool(phrase) and phrase in prof.words),
            sum(b in prof.adjacent for b in bigrams) / len(bigrams) if bigrams else math.nan,
            len(numbers & prof.numbers) / len(numbers) if numbers else math.nan,
            float(len(numbers - prof.numbers)),
            len(query_grams & prof.grams) / max(len(query_grams | prof.grams), 1),
            min(positions) / max(len(prof.stems), 1) if positions else math.nan,
            float(len(prof.stems)),
        )
        out[row, extra : extra + 5] = (
            len(query_units & prof.units) / len(query_units) if query_units else math.nan,
            float(sum(
                u in prof.unit_names and not any((x, u) in prof.units for x in xs)
                for u, xs in wanted_units.items()
            )),
            float(prof.first in query_stems) if prof.first else math.nan,
            sum(s in prof.head for s in stems) / n,
            float(bool(compounds & prof.stem_set) or any(w in prof.joined for w in query_words)),
        )  # fmt: skip
        if idf_total > 0:
            found = sum(w for w, h in zip(weights, hits, strict=True) if h)
            out[row, col_idf : col_idf + 2] = (
                found / idf_total,
                sum(w for w, h in zip(weights, fuzzy, strict=True) if h) / idf_total,
            )
            out[row, col["idf_missing"]] = idf_total - found
        out[row, col["brand_in_query"]] = _mention(cand.brand, query_text)
        if cand.colors:
            out[row, col["colour_in_query"]] = max(_mention(c, query_text) for c in cand.colors)
        if cand.category:
            out[row, col["category_in_query"]] = max(_mention(c, query_text) for c in cand.category)
    coverage = out[:, col["title_fuzzy_coverage"]]
    out[:, col["coverage_rel"]] = coverage - coverage.max()
    jaccard = out[:, col["title_trigram_jaccard"]].astype(np.float64)
    out[:, col["jaccard_rel"]] = jaccard - jaccard.max()
    out[:, col["jaccard_rank"]] = _rank_desc(jaccard)
    if idf_total > 0:
        weighted = out[:, col_idf]
        out[:, col["idf_coverage_rel"]] = weighted - weighted.max()
    out[:, col["pool_all_terms"]] = float(np.mean(out[:, col["all_terms_in_title"]]))
    return out


def _mention(value: str | None, query_text: str) -> float:
    """1.0 when every token of `value` is in the query, 0.0 when not, NaN without a value."""
    if not value:
        return math.nan
    words = tokens(value)
    return float(bool(words) and all(f" {w} " in query_text for w in words))


def from_item(item: BaseItem, **retrieval: Any) -> Candidate:
    """A candidate for a catalog item; `retrieval` sets the rank and score fields."""
    brand = getattr(item, "brand", None) or getattr(item, "creator", None)
    category = list(getattr(item, "category_path", []) or [])
    if getattr(item, "category", None):
        category.append(item.category)  # type: ignore[attr-defined]
    availability = getattr(item, "availability", None)
    return Candidate(
        id=item.id,
        title=item.title,
        description=item.description,
        tags=list(item.tags),
        brand=brand,
        colors=list(getattr(item, "colors", []) or []),
        category=category + list(getattr(item, "genre", []) or []),
        rating=getattr(item, "rating", None),
        available=None if availability is None else availability == "in_stock",
        price=getattr(item, "price", None),
        **retrieval,
    )
