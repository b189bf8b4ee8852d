"""Metrics: pure functions over plain mappings, beir style.

Ranking metrics (nDCG@10, Recall@100, MRR@10, MAP) come from `ir-measures`, which
drives `pytrec_eval` (trec_eval's C code): the figures are the ones the IR literature
and BEIR report, not a re-implementation. It was chosen over `ranx` and bare
`pytrec_eval` because it installs from wheels without compiling and is light (its only
heavy dependency is SciPy), whereas `ranx` pulls numba/llvmlite, pandas, matplotlib and
ir_datasets; and over bare `pytrec_eval` because it names measures the way papers do
(`nDCG@10`, `R@100`, `RR@10`, `AP`) and scores queries missing from a run as 0.

Qrels and runs are `{qid: {docid: score}}`. A run's scores only order documents (higher
first); `ranking_to_run` turns a ranked list into such scores so that the list order,
not a doc-id tie-break, decides. Gains are linear (trec_eval's default, as in BEIR).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence

import ir_measures
import numpy as np
from ir_measures import AP, RR, R, nDCG

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]

RANKING_MEASURES: dict[str, ir_measures.Measure] = {
    "ndcg@10": nDCG @ 10,
    "recall@100": R @ 100,
    "mrr@10": RR @ 10,
    "map": AP,
}
"""The retrieval suite's headline metrics, by the name shown in tables and reports."""


def ranking_to_run(doc_ids: Sequence[str]) -> dict[str, float]:
    """Scores that reproduce `doc_ids`' order exactly (first gets the highest score)."""
    scores: dict[str, float] = {}
    for pos, doc_id in enumerate(doc_ids):
        scores.setdefault(doc_id, float(len(doc_ids) - pos))
    return scores


def per_query(
    qrels: Qrels,
    run: Run,
    measures: Mapping[str, ir_measures.Measure] = RANKING_MEASURES,
) -> dict[str, dict[str, float]]:
    """`{qid: {metric: value}}` for every query in `qrels`; a query absent from `run` scores 0."""
    by_measure = {measure: name for name, measure in measures.items()}
    out: dict[str, dict[str, float]] = {qid: dict.fromkeys(measures, 0.0) for qid in qrels}
    clean_qrels = {qid: {d: int(g) for d, g in docs.items()} for qid, docs in qrels.items()}
    clean_run = {qid: {d: float(s) for d, s in docs.items()} for qid, docs in run.items() if docs}
    if not clean_qrels:
        return out
    for metric in ir_measures.iter_calc(list(measures.values()), clean_qrels, clean_run):
        if metric.query_id in out:
            out[metric.query_id][by_measure[metric.measure]] = float(metric.value)
    return out


def ndcg(gains: Sequence[float], ideal: Sequence[float], k: int = 10) -> float:
    """nDCG@k of a ranked list of `gains` against the `ideal` pool's gains (linear gain).

    Used where the pool is not a qrels file (page modules, constraint judgments);
    `ir-measures` gives the same value for the same gains, which the tests check.
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    got = np.asarray(list(gains)[:k], dtype=float)
    best = np.sort(np.asarray(list(ideal), dtype=float))[::-1][:k]
    idcg = float((best * discounts[: len(best)]).sum())
    if idcg <= 0:
        return 0.0
    return float((got * discounts[: len(got)]).sum()) / idcg


def set_scores(predicted: Iterable[Hashable], expected: Iterable[Hashable]) -> dict[str, float]:
    """Precision, recall and F1 of `predicted` against `expected`, as multisets.

    Both empty is a perfect answer (1.0 each); one empty scores 0.
    """
    got, want = Counter(predicted), Counter(expected)
    if not got and not want:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    data = list(values)
    return float(sum(data) / len(data)) if data else 0.0


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation); 0.0 for no values."""
    data = list(values)
    return float(np.percentile(data, q)) if data else 0.0


def paired_permutation_p(
    a: Sequence[float], b: Sequence[float], *, rounds: int = 10_000, seed: int = 0
) -> float:
    """Two-sided p-value that paired scores `a` and `b` share a mean (sign-flip test).

    Fixed `seed`, so a report's p-values are reproducible. 1.0 when there is no pair.
    """
    if len(a) != len(b):
        raise ValueError(f"paired scores differ in length: {len(a)} vs {len(b)}")
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diffs.size == 0 or not np.any(diffs):
        return 1.0
    observed = abs(diffs.mean())
    rng = np.random.default_rng(seed)
    extreme, done = 0, 0
    block = max(1, min(rounds, 2_000_000 // diffs.size))
    while done < rounds:
        size = min(block, rounds - done)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, diffs.size))
        extreme += int((np.abs((signs * diffs).mean(axis=1)) >= observed - 1e-12).sum())
        done += size
    return float((extreme + 1) / (rounds + 1))
