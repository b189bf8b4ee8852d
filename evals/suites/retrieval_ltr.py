"""Learned-ranker configurations of the retrieval suite, scored by cross-validation.

An `ltr` configuration pools each query's candidates from both retrievers, trains a
LightGBM lambdarank model on four folds of the queries and ranks the fifth with it,
fold by fold, so no query is ranked by a model that saw its judgments. Pools are
built once per (depth, spelling) and shared by the configurations that use them;
each configuration's held-out calibration error and per-feature gain go into the
report's parameters.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import numpy as np

from evals.beir import BeirQuery
from evals.runner import System
from evals.suites.retrieval_env import RetrievalEnv, RetrievalFactory, RetrievalSystem
from tools.ltr.calibration import expected_calibration_error, fit
from tools.ltr.features import FEATURES, Candidate
from tools.ltr.training import (
    TrainingSet,
    build_set,
    cross_validate,
    rankings,
)

FOLDS = 5
RELEVANT_GAIN = 2


def pool_key(depth: int, spelling: bool) -> str:
    return f"{depth}:{int(spelling)}"


def training_set(env: RetrievalEnv, depth: int, spelling: bool) -> TrainingSet:
    """The candidates of every query in the run at `depth`, built once per run."""
    key = pool_key(depth, spelling)
    if key in env.pools:
        return env.pools[key]
    env.title_vectors()
    searcher = env.searcher()
    rewrite: Callable[[str], str] | None = env.speller() if spelling else None

    def retrieve(text: str) -> Sequence[Candidate]:
        return searcher.candidates("ideas", text, None, depth=depth)

    bar = env.ctx.progress
    task = bar.add_task(f"ltr pools @{depth}", total=len(env.queries)) if bar else None
    data = build_set(
        [(q.id, q.text) for q in env.queries],
        retrieve,
        env.dataset.qrels,
        progress=lambda n: bar.advance(task, n) if bar and task is not None else None,
        rewrite=rewrite,
        stats=env.term_stats(),
    )
    env.pools[key] = data
    return data


def ltr_mode(
    depth: int = 100, *, spelling: bool = False, drop: Sequence[str] = (), label: str = "ltr"
) -> RetrievalFactory:
    """A configuration ranking pooled candidates with a cross-validated learned ranker."""

    @asynccontextmanager
    async def factory(env: RetrievalEnv) -> AsyncIterator[RetrievalSystem]:
        data = await asyncio.to_thread(training_set, env, depth, spelling)
        keep = [n for n, name in enumerate(FEATURES) if name not in drop] if drop else None
        cv = await asyncio.to_thread(cross_validate, data, FOLDS, None, features=keep)
        ranked = rankings(data, cv.scores)
        relevant = (data.labels >= RELEVANT_GAIN).astype(np.float64)
        ece = expected_calibration_error(fit("isotonic", cv.scores, relevant)(cv.scores), relevant)
        env.extras[label] = {"ece": round(ece, 4), "gain": top_gain(cv.gain), "rows": len(relevant)}
        limit = env.ctx.depth

        async def call(query: BeirQuery) -> list[str]:
            return ranked.get(query.id, [])[:limit]

        text = f"LightGBM lambdarank over {depth}+{depth} pooled candidates"
        text += ", spelling corrected" if spelling else ""
        text += f", without {len(drop)} features" if drop else ""
        yield System(call=call, description=f"{text}, {FOLDS}-fold CV by query")

    return factory


def top_gain(gain: dict[str, float]) -> dict[str, Any]:
    """Features by share of split gain, largest first, zero shares left out."""
    return {k: v for k, v in sorted(gain.items(), key=lambda kv: -kv[1]) if v > 0}


def lexical_rankings(data: TrainingSet) -> dict[str, list[str]]:
    """Each query's pool in BM25 order (lexical candidates only)."""
    column = FEATURES.index("lex_rank")
    out: dict[str, list[str]] = {}
    for n, qid in enumerate(data.query_ids):
        span = data.slice(n)
        ranks = data.rows[span, column]
        ids = data.doc_ids[span]
        picks = [i for i in np.argsort(ranks, kind="stable") if not np.isnan(ranks[i])]
        out[qid] = [ids[i] for i in picks]
    return out
