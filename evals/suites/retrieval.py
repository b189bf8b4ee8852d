"""The BEIR retrieval suite: nDCG@10, Recall@100, MRR@10 and MAP of each retrieval mode.

The corpus is indexed once per dataset into `TESSERA_HOME/eval_index/<name>-<hash>` as
ideas of kind "document" and reused while the corpus file, the embedder and the row
format are unchanged. Configurations search that index in one mode each (`CONFIGS`);
published or reference figures are shown beside ours where they exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from agent.settings import Settings
from evals.beir import BeirDataset, BeirDoc, BeirQuery, load_beir, resolve_dataset
from evals.metrics import RANKING_MEASURES, per_query, ranking_to_run
from evals.report import CaseResult, Reference, Report
from evals.runner import Observation, System, base_result, run_configs
from evals.suites import EvalContext, SuiteSpec, build_report, choose, select
from evals.suites.retrieval_env import (
    Fusion,
    Mode,
    RetrievalEnv,
    RetrievalFactory,
    RetrievalSystem,
)
from evals.suites.retrieval_ltr import ltr_mode
from tools.catalog import Idea
from tools.ltr.features import GROUPS

if TYPE_CHECKING:
    from tools.index import CatalogIndex

METRICS = list(RANKING_MEASURES)
DEFAULT_DATASET = "cranfield"
UNTITLED = "\u2026"
README = "README FTS5"
REFERENCES: dict[tuple[str, str], list[Reference]] = {
    ("cranfield", "test"): [
        Reference(label=README, config="bm25", metrics={"ndcg@10": 0.3505, "recall@100": 0.7315})
    ],
    ("vaswani_npl", "test"): [
        Reference(label=README, config="bm25", metrics={"ndcg@10": 0.4306, "recall@100": 0.6022}),
        Reference(label="Terrier@1000", config="bm25",
                  metrics={"map": 0.2965}),
    ],
    ("home_depot_search_relevance", "dev"): [
        Reference(label=README, config="bm25", metrics={"ndcg@10": 0.3689, "recall@100": 0.7214})
    ],
    ("hotpotqa_ircot_dev500", "dev"): [
        Reference(label=README, config="bm25", metrics={"ndcg@10": 0.8025, "recall@100": 0.9785})
    ],
}  # fmt: skip


def index_mode(
    mode: Mode, fusion: Fusion = "rrf", dense_weight: float = 0.5, *, spelling: bool = False
) -> RetrievalFactory:
    """A configuration that searches the eval index in one mode, `depth` results per query
    (`dense_weight`: the dense share of normalised fusion; `spelling`: each query first
    corrected as the engine corrects requests, against the indexed titles)."""

    @asynccontextmanager
    async def factory(env: RetrievalEnv) -> AsyncIterator[RetrievalSystem]:
        searcher, depth = env.searcher(), env.ctx.depth
        rrf_k = env.ctx.settings.rrf_k
        correct = env.speller() if spelling else None

        async def call(query: BeirQuery) -> list[str]:
            text = correct(query.text) if correct else query.text
            hits = await asyncio.to_thread(
                searcher.search, "ideas", text, None,
                k=depth, mode=mode, fusion=fusion, candidates=depth, rrf_k=rrf_k,
                dense_weight=dense_weight,
            )  # fmt: skip
            return [hit.item.id for hit in hits]

        label = f"CatalogIndex {mode}" + (f", {fusion} fusion" if mode == "hybrid" else "")
        if mode == "hybrid" and fusion == "normalized":
            label += f" (dense weight {dense_weight:g})"
        label += ", spelling corrected" if spelling else ""
        yield System(call=call, description=f"{label}, depth {depth}")

    return factory


CONFIGS: dict[str, RetrievalFactory] = {
    "bm25": index_mode("lexical"),
    "dense": index_mode("dense"),
    "hybrid-rrf": index_mode("hybrid", "rrf"),
    "hybrid-norm": index_mode("hybrid", "normalized"),
    **{f"hybrid-norm-d{round(w * 100)}": index_mode("hybrid", "normalized", w)
       for w in (0.2, 0.3, 0.4)},
    "bm25+spell": index_mode("lexical", spelling=True),
    "hybrid-norm-d30+spell": index_mode("hybrid", "normalized", 0.3, spelling=True),
    "ltr": ltr_mode(100, label="ltr"),
    "ltr@50": ltr_mode(50, label="ltr@50"),
    "ltr@200": ltr_mode(200, label="ltr@200"),
    "ltr+spell": ltr_mode(100, spelling=True, label="ltr+spell"),
    **{f"ltr-{group}": ltr_mode(100, label=f"ltr-{group}", drop=GROUPS[group])
       for group in GROUPS},
}  # fmt: skip
DEFAULT_CONFIGS = ("bm25", "dense", "hybrid-rrf", "hybrid-norm", "ltr")


def score_retrieval(
    dataset: BeirDataset, observations: Sequence[Observation[BeirQuery, list[str]]]
) -> list[CaseResult]:
    """Per-query ranking metrics; a failed query keeps its error and scores 0."""
    qrels = {o.case.id: dataset.qrels[o.case.id] for o in observations}
    run = {o.case.id: ranking_to_run(o.output) for o in observations if o.output}
    values = per_query(qrels, run)
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.text)
        result.metrics = values[obs.case.id]
        result.detail = {"returned": len(obs.output or []), "top10": list((obs.output or [])[:10])}
        results.append(result)
    return results


def doc_to_idea(doc: BeirDoc) -> Idea:
    """A corpus row as an idea of kind "document" (an untitled row gets a tokenless title)."""
    return Idea(
        id=doc.id[:200],
        title=(doc.title.strip() or UNTITLED)[:500],
        description=doc.text[:20_000],
        kind="document",
    )


def eval_index_dir(settings: Settings, dataset: BeirDataset, embedder: str) -> Path:
    """`TESSERA_HOME/eval_index/<name>-<hash>`; the hash covers corpus, embedder and row format."""
    from tools.rows import ROW_FORMAT

    digest = hashlib.sha256(f"{ROW_FORMAT}\n{embedder}\n".encode())
    with dataset.corpus_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return settings.root / "eval_index" / f"{dataset.name}-{digest.hexdigest()[:12]}"


def open_eval_index(ctx: EvalContext, dataset: BeirDataset) -> CatalogIndex:
    """The dataset's eval index, built (or an interrupted build resumed) when not ready."""
    from tools.embeddings import load_embedder
    from tools.index import CatalogIndex

    embedder = load_embedder(ctx.settings.query_cache_size)
    path = eval_index_dir(ctx.settings, dataset, embedder.name)
    marker = path / "ready.json"
    if marker.is_file():
        return CatalogIndex(path, embedder, create=False)
    total = sum(1 for _ in dataset.corpus())
    index = CatalogIndex(path, embedder, create=True)
    bar = ctx.progress
    task = bar.add_task(f"indexing {dataset.name}", total=total) if bar else None
    try:
        upserted = index.upsert(
            (doc_to_idea(d) for d in dataset.corpus()),
            progress=lambda n: bar.advance(task, n) if bar and task is not None else None,
        )
        marker.write_text(
            json.dumps({"docs": total, "embedder": embedder.name, **upserted.model_dump()}),
            encoding="utf-8",
        )
    except BaseException:
        index.close()
        raise
    ctx.console.print(f"indexed {total} documents of {dataset.name} into {path}")
    return index


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen configurations over the dataset's queries and build the report."""
    chosen = choose(CONFIGS, configs, DEFAULT_CONFIGS)
    dataset = load_beir(resolve_dataset(ctx.dataset or DEFAULT_DATASET), ctx.split)
    queries = select(dataset.queries, ctx.limit, ctx.seed)
    env = RetrievalEnv(
        ctx=ctx,
        dataset=dataset,
        open_searcher=lambda: open_eval_index(ctx, dataset),
        queries=list(queries),
    )
    try:
        results = await run_configs(
            queries,
            {name: partial(factory, env) for name, factory in chosen.items()},
            lambda obs: score_retrieval(dataset, obs),
            METRICS,
            progress=ctx.progress,
            timeout_s=ctx.timeout_s,
        )
    finally:
        env.close()
    return build_report(
        ctx,
        suite="retrieval",
        dataset=dataset.name,
        metrics=METRICS,
        primary="ndcg@10",
        configs=results,
        params={"path": str(dataset.path), "split": dataset.split, "depth": ctx.depth,
                "queries": len(queries), "judged_queries": len(dataset.queries),
                "ltr": env.extras},
        references=REFERENCES.get((dataset.name, dataset.split), []),
    )  # fmt: skip


SUITE = SuiteSpec(
    name="retrieval",
    summary="BEIR-format retrieval: nDCG@10, Recall@100, MRR@10, MAP per retrieval mode",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=DEFAULT_CONFIGS,
)
