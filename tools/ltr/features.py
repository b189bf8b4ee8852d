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
from collections.abc import Sequence
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
)
"""Column names, in the order `extract` writes them."""
GROUPS: dict[str, tuple[str, ...]] = {
    "lexical": ("lex_score", "lex_rank", "lex_rel", "bm25_title", "bm25_description",
                "bm25_tags", "bm25_extra", "rrf"),
    "dense": ("dense_cos", "dense_rank", "dense_rel", "rrf", "in_both"),
    "matching": ("title_coverage", "title_fuzzy_coverage", "all_terms_in_title",
                 "text_coverage", "last_term_in_title", "first_term_in_title", "phrase_in_title",
                 "bigram_coverage", "title_trigram_jaccard", "first_match_position"),
    "numbers": ("numbers_matched", "numbers_missing"),
    "attributes": ("brand_in_query", "colour_in_query", "category_in_query", "rating",
                   "available", "log_price"),
}  # fmt: skip
"""Features by the evidence they come from, for ablations."""

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'/][a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[./]\d+)?")
RRF_K = 60


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


def _fuzzy_hit(term: str, words: frozenset[str]) -> bool:
    if term in words:
        return True
    if len(term) < 4:
        return False
    head = term[:4]
    return any(
        (w.startswith(head) and abs(len(w) - len(term)) <= 2)
        or (term in w and len(w) - len(term) <= 4)
        for w in words
    )


def _trigrams(words: Sequence[str]) -> frozenset[str]:
    squeezed = " " + " ".join(words) + " "
    return frozenset(squeezed[i : i + 3] for i in range(len(squeezed) - 2))


class _Profile(NamedTuple):
    """What matching needs of an item's text, independent of the query."""

    words: str
    stems: tuple[str, ...]
    stem_set: frozenset[str]
    text_set: frozenset[str]
    adjacent: frozenset[tuple[str, str]]
    grams: frozenset[str]
    numbers: frozenset[str]


@lru_cache(maxsize=100_000)
def _profile(title: str, text: str) -> _Profile:
    words = tokens(title)
    stems = tuple(_stem(w) for w in words)
    stem_set = frozenset(stems)
    return _Profile(
        words=" ".join(words),
        stems=stems,
        stem_set=stem_set,
        text_set=stem_set | {_stem(w) for w in tokens(text)} if text else stem_set,
        adjacent=frozenset(zip(stems, stems[1:], strict=False)),
        grams=_trigrams(words),
        numbers=frozenset(_NUMBER.findall(title.lower())),
    )


def _column(values: Sequence[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def extract(query: str, candidates: Sequence[Candidate]) -> np.ndarray:
    """One feature row per candidate (see `FEATURES`), float32."""
    out = np.full((len(candidates), len(FEATURES)), np.nan, dtype=np.float32)
    if not candidates:
        return out
    terms = content_terms(query)
    stems = [_stem(t) for t in terms]
    first, last = (stems[0], stems[-1]) if stems else ("", "")
    bigrams = list(zip(stems, stems[1:], strict=False))
    numbers = frozenset(_NUMBER.findall(query.lower()))
    phrase = " ".join(tokens(query))
    query_grams = _trigrams(tokens(query))
    query_text = f" {phrase} "
    n = max(len(stems), 1)

    lex = _column([c.lexical_score for c in candidates])
    dense = _column([c.dense_score for c in candidates])
    lex_rank = _column([c.lexical_rank for c in candidates])
    dense_rank = _column([c.dense_rank for c in candidates])
    col = {name: k for k, name in enumerate(FEATURES)}
    out[:, col["lex_score"]] = lex
    out[:, col["lex_rank"]] = lex_rank
    lex_top = np.nanmax(lex) if np.isfinite(lex).any() else math.nan
    if lex_top > 0:
        out[:, col["lex_rel"]] = lex / lex_top
    fields = [c.field_scores for c in candidates]
    for k, name in enumerate(FIELDS):
        out[:, col[f"bm25_{name}"]] = _column([f[k] if f else None for f in fields])
    out[:, col["dense_cos"]] = dense
    out[:, col["dense_rank"]] = dense_rank
    if np.isfinite(dense).any():
        out[:, col["dense_rel"]] = dense - np.nanmax(dense)
    rrf = np.nan_to_num(1.0 / (RRF_K + lex_rank)) + np.nan_to_num(1.0 / (RRF_K + dense_rank))
    out[:, col["rrf"]] = rrf
    out[:, col["in_both"]] = np.isfinite(lex_rank) & np.isfinite(dense_rank)
    out[:, col["query_terms"]] = len(terms)
    out[:, col["rating"]] = _column([c.rating for c in candidates])
    out[:, col["available"]] = _column(
        [None if c.available is None else float(c.available) for c in candidates]
    )
    out[:, col["log_price"]] = np.log1p(_column([c.price for c in candidates]))

    start = col["title_coverage"]
    for row, cand in enumerate(candidates):
        prof = _profile(cand.title, cand.description + " " + " ".join(cand.tags))
        title_set = prof.stem_set
        hits = [s in title_set for s in stems]
        matched = sum(hits)
        positions = [prof.stems.index(s) for s, h in zip(stems, hits, strict=True) if h]
        out[row, start : start + 13] = (
            matched / n,
            sum(_fuzzy_hit(s, title_set) for s in stems) / n,
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
        out[row, col["brand_in_query"]] = _mention(cand.brand, query_text)
        if cand.colors:
            out[row, col["colour_in_query"]] = max(_mention(c, query_text) for c in cand.colors)
        if cand.category:
            out[row, col["category_in_query"]] = max(_mention(c, query_text) for c in cand.category)
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
