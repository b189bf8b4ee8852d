"""Benchmark the learned ranker: re-ranking cost per sub-query, pooling cost, training time.

Run: .venv/bin/python bench/bench_rerank.py [--model DIR] [--dataset NAME] [--queries 200]

  rerank   `RankerModel.rank(query, 100 candidates)`: feature extraction, LightGBM
           predict (one thread) and calibration; what the ranker adds per sub-query.
           Timed twice per sub-query: with the per-item text cache cleared (items the
           process has not seen: a one-shot command, or items added since it started) and
           cached (a serving process, which primes every shopping item at start, see
           `agent.deps.start_priming`, so requests meet this case), plus extraction and
           predict alone, wall clock and the thread's CPU time (which a loaded machine
           inflates far less); the machine's load average is printed beside them
  pool     `CatalogIndex.candidates(depth=100)` on the dataset's eval index (both
           retrievers, per-field BM25, stored vectors for the lexical-only items),
           beside `CatalogIndex.search` hybrid with the same depth; when the index has
           e5 title vectors, the same pools again with their cosines (the e5 query
           embedding runs beside the retrievers) and the time that adds, paired by query;
           query caches are off, so every pass embeds every query
  train    the saved model's own `train_seconds` (cross-validation + final fit)

The model is `--model` or `TESSERA_HOME/ranker`; without one a booster is fitted on
synthetic rows (same features and rounds, so the same tree count and cost). Candidates come
from the dataset's eval index when it exists, else from synthetic product titles.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.settings import Settings  # noqa: E402
from tools.ltr import (  # noqa: E402
    FEATURES,
    Calibrator,
    Candidate,
    ModelUnavailable,
    RankerModel,
    TrainingReport,
    features,  # noqa: E402
)
from tools.ltr.training import DEFAULT_ROUNDS, TrainingSet, fit_booster  # noqa: E402
from tools.title_vectors import FILE_NAME as TITLE_VECTORS_FILE  # noqa: E402

WORDS = "steel angle bracket white vinyl flooring led light bulb 60 watt cordless drill 18v "
WORDS += "toilet seat round gloss paint gal interior door hinge brushed nickel 3 in pack"


def percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {statistics.median(ms):.2f} ms, p95 {q[94]:.2f} ms, max {max(ms):.2f} ms"


def synthetic_model() -> RankerModel:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400 * 50, len(FEATURES))).astype(np.float32)
    labels = np.clip((rows[:, 12] * 1.5 + 1.5).astype(int), 0, 4).astype(np.int32)
    data = TrainingSet([f"q{n}" for n in range(400)], rows, labels,
                       [str(n) for n in range(len(rows))], [50] * 400)  # fmt: skip
    booster = fit_booster(data.rows, data.labels, data.sizes)
    report = TrainingReport(dataset="synthetic", queries=400, rows=len(rows), folds=0, depth=50,
                            relevant_gain=2, params={}, rounds=DEFAULT_ROUNDS,
                            calibration="platt", ece=0.0, ece_raw=0.0)  # fmt: skip
    return RankerModel(booster, Calibrator(method="platt", a=1.0), report)


def synthetic_pool(rng: random.Random, n: int = 100) -> list[Candidate]:
    words = WORDS.split()
    return [
        Candidate(
            id=str(i), title=" ".join(rng.sample(words, 8)),
            lexical_rank=i + 1 if i % 2 == 0 else None, lexical_score=10.0 - i / 10,
            field_scores=(5.0, 0.0, 0.0, 0.0), dense_rank=i + 1, dense_score=0.8 - i / 200,
        )
        for i in range(n)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--dataset", default="home_depot_search_relevance")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    try:
        model = RankerModel.load(args.model or settings.ranker_dir)
        r = model.report
        print(
            f"model: {args.model or settings.ranker_dir} ({r.dataset}, {r.queries} queries, "
            f"{r.rows} pairs, {r.rounds} rounds), trained in {r.train_seconds:.1f} s"
        )
    except ModelUnavailable:
        started = time.perf_counter()
        model = synthetic_model()
        print(f"model: synthetic, trained in {time.perf_counter() - started:.1f} s")

    rng = random.Random(13)
    pools: list[tuple[str, list[Candidate]]] = []
    index = None
    try:
        from evals.beir import load_beir, resolve_dataset
        from evals.suites.retrieval import eval_index_dir
        from tools.embeddings import load_embedder
        from tools.index import CatalogIndex

        dataset = load_beir(resolve_dataset(args.dataset))
        embedder = load_embedder(0)
        path = eval_index_dir(settings, dataset, embedder.name)
        index = CatalogIndex(path, embedder, create=False)
        queries = rng.sample(dataset.queries, min(args.queries, len(dataset.queries)))
        pool_ms, search_ms = [], []
        for q in queries:
            t = time.perf_counter()
            pool = index.candidates("ideas", q.text, depth=100)
            pool_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            index.search("ideas", q.text, k=100, candidates=100)
            search_ms.append((time.perf_counter() - t) * 1000)
            if len(pool) >= 100:
                pools.append((q.text, pool[:100]))
        print(f"pool 100+100 ({len(queries)} queries): {percentiles(pool_ms)}")
        if (path / TITLE_VECTORS_FILE).is_file():
            from tools.embeddings import E5TitleEncoder

            index.attach_title_encoder(E5TitleEncoder(cache_size=0))
            print(f"title vectors: {index.title_vector_count('ideas')} stored")
            titled_ms, added_ms, pools = [], [], []
            for q, plain in zip(queries, pool_ms, strict=True):
                t = time.perf_counter()
                pool = index.candidates("ideas", q.text, depth=100)
                titled_ms.append((time.perf_counter() - t) * 1000)
                added_ms.append(titled_ms[-1] - plain)
                if len(pool) >= 100:
                    pools.append((q.text, pool[:100]))
            print(f"pool 100+100 with e5 title cosines (query embedded alongside): "
                  f"{percentiles(titled_ms)}")  # fmt: skip
            print(f"  added per sub-query (paired, same query): median "
                  f"{statistics.median(added_ms):.2f} ms")  # fmt: skip
        features._profile.cache_clear()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        primed = model.prime(index.ranker_candidates("ideas"))
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
        print(
            f"priming {primed} items (what a serving process does at start): "
            f"{time.perf_counter() - t:.1f} s, peak memory +{grown:.0f} MB"
        )
        features._profile.cache_clear()
        print(f"hybrid search, 100 per retriever:  {percentiles(search_ms)}")
    except Exception as exc:  # noqa: BLE001 - the bench falls back to synthetic candidates
        print(f"no eval index for {args.dataset} ({type(exc).__name__}); synthetic candidates")
    finally:
        if index is not None:
            index.close()
    if not pools:
        pools = [("angle bracket white", synthetic_pool(rng)) for _ in range(args.queries)]
    print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for text, pool in pools[:5]:
        model.rank(text, pool)
    cold_ms, warm_ms, extract_ms, predict_ms = [], [], [], []
    cold_cpu, warm_cpu = [], []
    for text, pool in pools:
        features._profile.cache_clear()
        t, c = time.perf_counter(), time.thread_time()
        model.rank(text, pool)
        cold_ms.append((time.perf_counter() - t) * 1000)
        cold_cpu.append((time.thread_time() - c) * 1000)
        t = time.perf_counter()
        rows = features.extract(text, pool)
        extract_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        model.score(rows)
        predict_ms.append((time.perf_counter() - t) * 1000)
        t, c = time.perf_counter(), time.thread_time()
        model.rank(text, pool)
        warm_ms.append((time.perf_counter() - t) * 1000)
        warm_cpu.append((time.thread_time() - c) * 1000)
    n = len(pools)
    print(f"rerank 100 candidates, item texts not cached ({n} sub-queries): {percentiles(cold_ms)}")
    print(f"rerank 100 candidates, item texts primed ({n} sub-queries):     {percentiles(warm_ms)}")
    print(f"  of which feature extraction (cached):  {percentiles(extract_ms)}")
    print(
        f"  of which predict ({model.booster.num_trees()} trees, 1 thread): "
        f"{percentiles(predict_ms)}"
    )
    print(f"CPU time of the rerank, not cached: {percentiles(cold_cpu)}")
    print(f"CPU time of the rerank, cached:     {percentiles(warm_cpu)}")
    print(f"load average after timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
