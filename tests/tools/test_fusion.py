"""Rank fusion: exact values worked out by hand."""

from __future__ import annotations

import pytest

from tools.fusion import fuse, min_max, normalized_scores, rrf_scores

LEXICAL = [("a", 10.0), ("b", 6.0), ("c", 2.0)]
DENSE = [("b", 0.9), ("d", 0.5)]


def test_rrf_scores_sum_reciprocal_ranks() -> None:
    scores = rrf_scores([["a", "b", "c"], ["b", "d"]], k=60)
    assert scores == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63, "d": 1 / 62})


def test_rrf_k_changes_the_spread() -> None:
    scores = rrf_scores([["a", "b"]], k=1)
    assert scores == pytest.approx({"a": 0.5, "b": 1 / 3})


def test_rrf_rejects_k_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        rrf_scores([["a"]], k=0)


def test_fuse_rrf_orders_and_keeps_ranks() -> None:
    fused = fuse(LEXICAL, DENSE, method="rrf", rrf_k=60)
    assert [f.id for f in fused] == ["b", "a", "d", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    by_id = {f.id: f for f in fused}
    assert (by_id["b"].lexical_rank, by_id["b"].dense_rank) == (2, 1)
    assert (by_id["a"].lexical_rank, by_id["a"].dense_rank) == (1, None)
    assert (by_id["d"].lexical_rank, by_id["d"].dense_rank) == (None, 2)


def test_min_max() -> None:
    assert min_max([10.0, 6.0, 2.0]) == pytest.approx([1.0, 0.5, 0.0])
    assert min_max([3.0, 3.0]) == [1.0, 1.0]
    assert min_max([]) == []


def test_normalized_scores_weighted_sum() -> None:
    # lexical normalises to a=1, b=0.5, c=0; dense to b=1, d=0.
    assert normalized_scores(LEXICAL, DENSE, 0.5) == pytest.approx(
        {"a": 0.5, "b": 0.75, "c": 0.0, "d": 0.0}
    )
    assert normalized_scores(LEXICAL, DENSE, 0.8) == pytest.approx(
        {"a": 0.2, "b": 0.9, "c": 0.0, "d": 0.0}
    )


def test_fuse_normalized_breaks_ties_on_best_rank() -> None:
    fused = fuse(LEXICAL, DENSE, method="normalized")
    # c and d both score 0; d was 2nd in its list, c 3rd in its list.
    assert [f.id for f in fused] == ["b", "a", "d", "c"]
    assert [f.score for f in fused] == pytest.approx([0.75, 0.5, 0.0, 0.0])


def test_fuse_single_list_keeps_its_order() -> None:
    fused = fuse([], DENSE, method="rrf")
    assert [(f.id, f.lexical_rank, f.dense_rank) for f in fused] == [
        ("b", None, 1),
        ("d", None, 2),
    ]
    assert fuse([], [], method="normalized") == []


def test_fuse_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse(LEXICAL, DENSE, method="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dense_weight"):
        normalized_scores(LEXICAL, DENSE, 1.5)
