"""Rank fusion of the lexical and dense result lists, as pure functions.

Ranks are 1-based. Reciprocal rank fusion (the default) ignores raw scores:
score(d) = sum over lists of 1 / (k + rank). "normalized" min-max scales each list's
scores to [0, 1] and takes a weighted sum (dense weight w, lexical 1 - w); an item
missing from a list gets 0 from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

FusionMethod = Literal["rrf", "normalized"]
Ranked = Sequence[tuple[str, float]]
"""(id, score) pairs, best first; higher scores are better."""


class Fused(BaseModel):
    """One fused result with the ranks it had in each list (None when absent)."""

    id: str
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None


def rrf_scores(rankings: Sequence[Sequence[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal-rank-fusion score of every id found in any ranking."""
    if k < 1:
        raise ValueError(f"rrf k must be at least 1, got {k}")
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return scores


def min_max(scores: Sequence[float]) -> list[float]:
    """Scale to [0, 1]; a list whose scores are all equal scales to all 1.0."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high == low:
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


def normalized_scores(
    lexical: Ranked, dense: Ranked, dense_weight: float = 0.5
) -> dict[str, float]:
    """Weighted sum of min-max normalised scores."""
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be within [0, 1], got {dense_weight}")
    scores: dict[str, float] = {}
    for ranked, weight in ((lexical, 1.0 - dense_weight), (dense, dense_weight)):
        for (doc_id, _), norm in zip(ranked, min_max([s for _, s in ranked]), strict=True):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight * norm
    return scores


def fuse(
    lexical: Ranked,
    dense: Ranked,
    *,
    method: FusionMethod = "rrf",
    rrf_k: int = 60,
    dense_weight: float = 0.5,
) -> list[Fused]:
    """Merge two ranked lists into one, best first; ties break on best rank, then id."""
    lexical_rank = {doc_id: r for r, (doc_id, _) in enumerate(lexical, start=1)}
    dense_rank = {doc_id: r for r, (doc_id, _) in enumerate(dense, start=1)}
    if method == "rrf":
        scores = rrf_scores([[d for d, _ in lexical], [d for d, _ in dense]], k=rrf_k)
    elif method == "normalized":
        scores = normalized_scores(lexical, dense, dense_weight)
    else:
        raise ValueError(f"unknown fusion method {method!r}; use 'rrf' or 'normalized'")
    fused = [
        Fused(
            id=doc_id,
            score=score,
            lexical_rank=lexical_rank.get(doc_id),
            dense_rank=dense_rank.get(doc_id),
        )
        for doc_id, score in scores.items()
    ]
    worst = len(lexical) + len(dense) + 1

    def best_rank(f: Fused) -> int:
        return min(f.lexical_rank or worst, f.dense_rank or worst)

    fused.sort(key=lambda f: (-f.score, best_rank(f), f.id))
    return fused
