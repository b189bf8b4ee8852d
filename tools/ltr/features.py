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
from typing import Any

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


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _fuzzy_hit(term: str, words: set[str]) -> bool:
    if term in words:
        return True
    if len(term) < 4:
        return False
    return any(
        (len(w) >= 4 and (w.startswith(term[:4]) and abs(len(w) - len(term)) <= 2))
        or (term in w and len(w) - len(term) <= 4)
        for w in words
    )


def _trigrams(text: str) -> set[str]:
    squeezed = " " + " ".join(tokens(text)) + " "
    return {squeezed[i : i + 3] for i in range(len(squeezed) - 2)}


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def extract(query: str, candidates: Sequence[Candidate]) -> np.ndarray:
    """One feature row per candidate (see `FEATURES`), float32."""
    out = np.full((len(candidates), len(FEATURES)), np.nan, dtype=np.float32)
    if not candidates:
        return out
    terms = content_terms(query)
    stems = [_stem(t) for t in terms]
    bigrams = list(zip(stems, stems[1:], strict=False))
    numbers = set(_NUMBER.findall(query.lower()))
    phrase = " ".join(tokens(query))
    query_grams = _trigrams(query)
    query_text = f" {phrase} "
    lex_top = max((c.lexical_score or -math.inf for c in candidates), default=-math.inf)
    dense_top = max((c.dense_score or -math.inf for c in candidates), default=-math.inf)
    for row, cand in enumerate(candidates):
        title_words = tokens(cand.title)
        title_stems = [_stem(w) for w in title_words]
        title_set = set(title_stems)
        text_set = title_set | {
            _stem(w) for w in tokens(cand.description + " " + " ".join(cand.tags))
        }
        hits = [s in title_set for s in stems]
        n = max(len(stems), 1)
        adjacent = set(zip(title_stems, title_stems[1:], strict=False))
        positions = [title_stems.index(s) for s in stems if s in title_set]
        grams = _trigrams(cand.title)
        title_numbers = set(_NUMBER.findall(cand.title.lower()))
        fields = cand.field_scores
        lex = cand.lexical_score
        dense = cand.dense_score
        rrf = sum(1.0 / (RRF_K + r) for r in (cand.lexical_rank, cand.dense_rank) if r)
        values = (
            _nan(lex),
            _nan(cand.lexical_rank),
            _nan(lex / lex_top if lex is not None and lex_top > 0 else None),
            *(fields if fields is not None else (math.nan,) * len(FIELDS)),
            _nan(dense),
            _nan(cand.dense_rank),
            _nan(dense - dense_top if dense is not None else None),
            rrf,
            float(cand.lexical_rank is not None and cand.dense_rank is not None),
            sum(hits) / n,
            sum(_fuzzy_hit(s, title_set) for s in stems) / n,
            float(all(hits) and bool(hits)),
            sum(s in text_set for s in stems) / n,
            float(bool(stems) and stems[-1] in title_set),
            float(bool(stems) and stems[0] in title_set),
            float(bool(phrase) and phrase in " ".join(title_words)),
            sum(b in adjacent for b in bigrams) / len(bigrams) if bigrams else math.nan,
            len(numbers & title_numbers) / len(numbers) if numbers else math.nan,
            float(len(numbers - title_numbers)),
            len(query_grams & grams) / max(len(query_grams | grams), 1),
            min(positions) / max(len(title_stems), 1) if positions else math.nan,
            float(len(title_words)),
            float(len(terms)),
            _mention(cand.brand, query_text),
            max((_mention(c, query_text) for c in cand.colors), default=math.nan),
            max((_mention(c, query_text) for c in cand.category), default=math.nan),
            _nan(cand.rating),
            math.nan if cand.available is None else float(cand.available),
            math.log1p(cand.price) if cand.price is not None else math.nan,
        )
        out[row] = values
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
