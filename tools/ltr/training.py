"""Training a ranker from graded judgments: candidate pools, folds, boosting, calibration.

`build_set` asks a retriever for each judged query's candidates and labels them with
their judged gain (unjudged candidates count 0, as the metrics count them).
`cross_validate` trains one booster per fold on the other folds and scores the held-out
fold, so every query's scores come from a model that never saw it; those held-out
scores fit the calibrator. `train` does both and then fits the final booster on all
queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.ltr.calibration import Method, expected_calibration_error, fit
from tools.ltr.features import FEATURES, Candidate, TermStats, extract
from tools.ltr.folds import query_folds
from tools.ltr.model import RankerModel, TrainingReport

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 100,
    "max_bin": 63,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "label_gain": list(range(32)),
    "num_threads": 2,
    "verbosity": -1,
    "seed": 13,
}
"""Linear label gain, as trec_eval's nDCG counts it."""
DEFAULT_ROUNDS = 300

Retrieve = Callable[[str], Sequence[Candidate]]


@dataclass
class TrainingSet:
    """Feature rows of every query's candidates, grouped by query in `query_ids` order."""

    query_ids: list[str]
    rows: np.ndarray
    labels: np.ndarray
    doc_ids: list[str]
    sizes: list[int]
    stats: TermStats | None = None
    offsets: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.offsets = list(np.concatenate([[0], np.cumsum(self.sizes)]).astype(int))

    def slice(self, n: int) -> slice:
        return slice(self.offsets[n], self.offsets[n + 1])

    def subset(self, picks: Sequence[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Rows, labels and group sizes of the queries at positions `picks`."""
        index = np.concatenate([np.arange(self.offsets[n], self.offsets[n + 1]) for n in picks])
        return self.rows[index], self.labels[index], [self.sizes[n] for n in picks]


def build_set(
    queries: Sequence[tuple[str, str]],
    retrieve: Retrieve,
    qrels: Mapping[str, Mapping[str, int]],
    progress: Callable[[int], None] | None = None,
    rewrite: Callable[[str], str] | None = None,
    stats: TermStats | None = None,
) -> TrainingSet:
    """Candidates and labels of each `(query_id, text)`; queries with no candidate are kept
    with zero rows so positions still line up with `queries`. `rewrite` (a spelling
    corrector) changes the text both retrieval and the features see; `stats` (the
    catalog's title term frequencies) fills the IDF-weighted columns and travels with
    the set to the model trained on it."""
    blocks: list[np.ndarray] = []
    labels: list[int] = []
    doc_ids: list[str] = []
    sizes: list[int] = []
    for qid, original in queries:
        text = rewrite(original) if rewrite else original
        candidates = list(retrieve(text))
        judged = qrels.get(qid, {})
        blocks.append(extract(text, candidates, stats))
        labels.extend(max(int(judged.get(c.id, 0)), 0) for c in candidates)
        doc_ids.extend(c.id for c in candidates)
        sizes.append(len(candidates))
        if progress:
            progress(1)
    rows = np.concatenate(blocks) if blocks else np.zeros((0, len(FEATURES)), np.float32)
    return TrainingSet(
        query_ids=[q for q, _ in queries],
        rows=rows,
        labels=np.asarray(labels, dtype=np.int32),
        doc_ids=doc_ids,
        sizes=sizes,
        stats=stats,
    )


def fit_booster(
    rows: np.ndarray,
    labels: np.ndarray,
    sizes: Sequence[int],
    params: Mapping[str, Any] | None = None,
    rounds: int = DEFAULT_ROUNDS,
    features: Sequence[str] = FEATURES,
) -> Any:
    """One LightGBM lambdarank booster over grouped rows."""
    import lightgbm as lgb

    keep = [n for n, s in enumerate(sizes) if s > 0]
    data = lgb.Dataset(
        rows,
        label=labels,
        group=[sizes[n] for n in keep],
        feature_name=list(features),
        free_raw_data=True,
    )
    return lgb.train(dict(params or DEFAULT_PARAMS), data, num_boost_round=rounds)


@dataclass
class CrossValidation:
    """Held-out scores of every row, the fold of every query and mean gain importance."""

    scores: np.ndarray
    folds: dict[str, int]
    gain: dict[str, float]


def cross_validate(
    data: TrainingSet,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = 13,
    features: Sequence[int] | None = None,
) -> CrossValidation:
    """Train on all folds but one, score the one left out, for each fold in turn.

    `features` picks a subset of columns (an ablation); the others are set missing.
    """
    assignment = query_folds(data.query_ids, folds, seed)
    rows = data.rows
    if features is not None:
        rows = np.full_like(rows, np.nan)
        rows[:, list(features)] = data.rows[:, list(features)]
    scores = np.zeros(len(data.labels), dtype=np.float64)
    gain = np.zeros(len(FEATURES))
    view = TrainingSet(data.query_ids, rows, data.labels, data.doc_ids, data.sizes, data.stats)
    for fold in range(folds):
        train = [n for n, q in enumerate(data.query_ids) if assignment[q] != fold]
        test = [n for n, q in enumerate(data.query_ids) if assignment[q] == fold]
        booster = fit_booster(*view.subset(train), params=params, rounds=rounds)
        gain += booster.feature_importance(importance_type="gain")
        test_rows, _, _ = view.subset(test)
        if len(test_rows):
            predicted = booster.predict(test_rows, num_threads=2)
            index = np.concatenate([np.arange(data.offsets[n], data.offsets[n + 1]) for n in test])
            scores[index] = predicted
    total = gain.sum() or 1.0
    return CrossValidation(
        scores=scores,
        folds=assignment,
        gain={name: round(float(g / total), 4) for name, g in zip(FEATURES, gain, strict=True)},
    )


def rankings(data: TrainingSet, scores: np.ndarray) -> dict[str, list[str]]:
    """`{query_id: doc ids best first}` under `scores`."""
    out: dict[str, list[str]] = {}
    for n, qid in enumerate(data.query_ids):
        span = data.slice(n)
        ids = data.doc_ids[span]
        order = np.argsort(-scores[span], kind="stable")
        out[qid] = [ids[i] for i in order]
    return out


def train(
    data: TrainingSet,
    *,
    dataset: str,
    depth: int,
    folds: int = 5,
    relevant_gain: int = 2,
    calibration: Method = "isotonic",
    params: Mapping[str, Any] | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = 13,
    spelling: bool = False,
) -> tuple[RankerModel, CrossValidation]:
    """Cross-validate, calibrate on the held-out scores, then fit on every query."""
    started = time.perf_counter()
    chosen = dict(params or DEFAULT_PARAMS)
    cv = cross_validate(data, folds, chosen, rounds, seed)
    relevant = (data.labels >= relevant_gain).astype(np.float64)
    calibrator = fit(calibration, cv.scores, relevant)
    probs = calibrator(cv.scores)
    low, high = float(cv.scores.min(initial=0.0)), float(cv.scores.max(initial=1.0))
    scaled = (cv.scores - low) / ((high - low) or 1.0)
    booster = fit_booster(data.rows, data.labels, data.sizes, chosen, rounds)
    report = TrainingReport(
        dataset=dataset,
        queries=len(data.query_ids),
        rows=len(data.labels),
        folds=folds,
        depth=depth,
        relevant_gain=relevant_gain,
        params=chosen,
        rounds=rounds,
        calibration=calibration,
        ece=round(expected_calibration_error(probs, relevant), 4),
        ece_raw=round(expected_calibration_error(scaled, relevant), 4),
        gain=cv.gain,
        train_seconds=round(time.perf_counter() - started, 1),
        spelling=spelling,
    )
    return RankerModel(booster, calibrator, report, stats=data.stats), cv
