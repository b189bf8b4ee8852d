"""Metric wiring on tiny hand-made qrels and runs whose answers are worked out by hand."""

from __future__ import annotations

import math

import pytest

from evals.metrics import (
    mean,
    ndcg,
    paired_permutation_p,
    per_query,
    percentile,
    ranking_to_run,
    set_scores,
)

QRELS = {
    "q1": {"d1": 2, "d2": 1, "d3": 0},
    "q2": {"a": 1, "b": 1},
}
RUN = {
    "q1": ranking_to_run(["d3", "d1", "dx", "d2"]),
    "q2": ranking_to_run(["a", "x"]),
}


def test_ndcg_at_10_matches_the_hand_computed_value() -> None:
    # q1 ranks d3 (gain 0), d1 (2), dx (unjudged, 0), d2 (1); linear gains, log2(rank + 1):
    #   DCG  = 2 / log2(3) + 1 / log2(5) = 1.2618595 + 0.4306766 = 1.6925361
    #   IDCG = 2 / log2(2) + 1 / log2(3) = 2.0       + 0.6309298 = 2.6309298
    #   nDCG@10 = 1.6925361 / 2.6309298 = 0.6433224
    scores = per_query(QRELS, RUN)
    assert scores["q1"]["ndcg@10"] == pytest.approx(0.6433224, abs=1e-6)


def test_recall_mrr_and_map_per_query() -> None:
    scores = per_query(QRELS, RUN)
    assert scores["q1"]["recall@100"] == pytest.approx(1.0)
    assert scores["q2"]["recall@100"] == pytest.approx(0.5)
    assert scores["q1"]["mrr@10"] == pytest.approx(0.5)  # first relevant doc at rank 2
    assert scores["q2"]["mrr@10"] == pytest.approx(1.0)
    # q1: relevant d1 at rank 2 (precision 1/2) and d2 at rank 4 (precision 2/4)
    assert scores["q1"]["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    # q2: a at rank 1 (precision 1), b never retrieved (counts 0)
    assert scores["q2"]["map"] == pytest.approx(0.5)


def test_a_query_missing_from_the_run_scores_zero() -> None:
    scores = per_query(QRELS, {"q1": RUN["q1"]})
    assert scores["q2"] == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "map": 0.0}
    assert per_query(QRELS, {})["q1"]["ndcg@10"] == 0.0


def test_run_order_is_the_list_order_not_a_doc_id_tie_break() -> None:
    run = {"q": ranking_to_run(["z", "a"])}
    assert run["q"]["z"] > run["q"]["a"]
    assert per_query({"q": {"a": 1}}, run)["q"]["mrr@10"] == pytest.approx(0.5)
    assert ranking_to_run(["a", "b", "a"]) == {"a": 3.0, "b": 2.0}


def test_local_ndcg_agrees_with_the_library() -> None:
    gains = [0.0, 2.0, 0.0, 1.0]
    assert ndcg(gains, [2.0, 1.0, 0.0]) == pytest.approx(0.6433224, abs=1e-6)
    assert ndcg([1.0, 3.0], [3.0, 1.0], k=1) == pytest.approx(1 / 3)
    assert ndcg([1.0], []) == 0.0


def test_set_scores_count_duplicates() -> None:
    got = set_scores(["shopping", "shopping", "ideas"], ["shopping", "video"])
    assert got["precision"] == pytest.approx(1 / 3)
    assert got["recall"] == pytest.approx(1 / 2)
    assert got["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert set_scores([], []) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert set_scores(["a"], [])["f1"] == 0.0


def test_mean_and_percentile() -> None:
    assert mean([]) == 0.0
    assert mean([1, 2, 3]) == 2.0
    assert percentile([10, 20, 30, 40], 50) == pytest.approx(25.0)
    assert percentile([], 95) == 0.0


def test_paired_permutation_test() -> None:
    same = [0.1, 0.5, 0.9]
    assert paired_permutation_p(same, same) == 1.0
    a = [0.0] * 20
    b = [1.0] * 20
    p = paired_permutation_p(a, b, rounds=2000, seed=1)
    assert p < 0.01
    assert p == paired_permutation_p(a, b, rounds=2000, seed=1)
    mixed = paired_permutation_p([0, 1, 0, 1], [1, 0, 1, 0], rounds=500)
    assert mixed > 0.5
    assert not math.isnan(mixed)
    with pytest.raises(ValueError, match="differ in length"):
        paired_permutation_p([1.0], [1.0, 2.0])
