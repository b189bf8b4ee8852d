"""Train the learned ranker on a BEIR dataset's judgments (`tessera rank train`).

Candidates are pooled over the dataset's eval index as the retrieval suite does;
the model is cross-validated by query, calibrated on held-out folds, and returned
with its training report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evals.suites.retrieval_ltr import FOLDS, RELEVANT_GAIN, lexical_rankings, training_set
from tools.ltr.calibration import Method
from tools.ltr.model import RankerModel
from tools.ltr.training import DEFAULT_ROUNDS, rankings, train

if TYPE_CHECKING:
    from evals.suites import EvalContext


def train_ranker(
    ctx: EvalContext,
    *,
    depth: int = 100,
    folds: int = FOLDS,
    spelling: bool = False,
    calibration: Method = "isotonic",
    rounds: int = DEFAULT_ROUNDS,
) -> RankerModel:
    """A ranker trained on every judged query of `ctx.dataset`, its report filled in.

    The report's `cv` holds held-out nDCG@10, Recall@100 and MRR@10 of the same
    cross-validation that fitted the calibrator, beside BM25's over the same queries.
    """
    from evals.beir import load_beir, resolve_dataset
    from evals.metrics import mean, per_query, ranking_to_run
    from evals.suites import select
    from evals.suites.retrieval import DEFAULT_DATASET, RetrievalEnv, open_eval_index

    dataset = load_beir(resolve_dataset(ctx.dataset or DEFAULT_DATASET), ctx.split)
    queries = select(dataset.queries, ctx.limit, ctx.seed)
    env = RetrievalEnv(
        ctx=ctx,
        dataset=dataset,
        open_searcher=lambda: open_eval_index(ctx, dataset),
        queries=list(queries),
    )
    try:
        data = training_set(env, depth, spelling)
    finally:
        env.close()
    model, cv = train(
        data,
        dataset=dataset.name,
        depth=depth,
        folds=folds,
        relevant_gain=RELEVANT_GAIN,
        calibration=calibration,
        rounds=rounds,
        seed=ctx.seed,
        spelling=spelling,
    )
    qrels = {q.id: dataset.qrels[q.id] for q in queries}

    def summary(ranked: dict[str, list[str]], prefix: str) -> dict[str, float]:
        run = {q: ranking_to_run(ids[:100]) for q, ids in ranked.items() if ids}
        values = per_query(qrels, run)
        return {
            f"{prefix}{m}": round(mean(v[m] for v in values.values()), 4)
            for m in ("ndcg@10", "recall@100", "mrr@10")
        }

    lexical = lexical_rankings(data)
    model.report.cv = summary(rankings(data, cv.scores), "") | summary(lexical, "bm25_")
    return model
