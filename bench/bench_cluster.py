"""Scale-out figures on loopback: 1 vs 3 workers, Chroma server vs embedded, FTS5 vs Postgres.

Usage: .venv/bin/python bench/bench_cluster.py [--limit 400] [--seconds 20] [--clients 6]

Starts a private PostgreSQL cluster and `chroma run` (as the cluster test does),
indexes `--limit` rows per starter source into both the shared backends (a
snapshot) and an embedded home, then prints:

1. web API requests/s and p50/p95 for 1 worker and for 3 workers (round-robin, as a
   proxy would), rule planner, distinct queries so the result caches mostly miss;
2. in-process hybrid search latency through the Chroma server and through
   `PersistentClient`, and their ratio;
3. lexical latency of the FTS5 snapshot against PostgreSQL full-text search
   (tsvector + GIN, `ts_rank`) over the same rows and queries.

Everything it starts is stopped at the end. The machine's core count caps what
several workers can show: on 2 cores, 3 workers compete for the same CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.backends import open_catalog_index  # noqa: E402
from agent.settings import Settings  # noqa: E402
from tests.integration.services import (  # noqa: E402
    Worker,
    chroma_server,
    postgres,
    tessera,
    workers,
)
from tools.lexical import LexicalSearcher, query_terms  # noqa: E402
from tools.pushdown import sql_where  # noqa: E402
from tools.snapshot import Snapshots, SnapshotStore  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> str:
    return f"p50={statistics.median(values):7.1f} ms  p95={pct(values, 0.95):7.1f} ms"


def catalog_queries(db: Path, n: int) -> list[str]:
    """Distinct two- and three-word queries from item titles (cache-missing load)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    titles = [r[0] for r in conn.execute("SELECT title FROM items ORDER BY rid")]
    conn.close()
    out: dict[str, None] = {}
    for title in titles:
        words = [w for w in query_terms(title) if w.isalpha()]
        for size in (2, 3):
            if len(words) >= size:
                out.setdefault(" ".join(words[:size]), None)
        if len(out) >= n:
            break
    return list(out)


async def drive(urls: list[str], queries: list[str], seconds: float, clients: int) -> str:
    latencies: list[float] = []
    errors = 0
    feed = itertools.cycle(queries)
    targets = itertools.cycle(urls)
    deadline = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            start = time.perf_counter()
            resp = await http.post(f"{next(targets)}/v1/search", json={"query": next(feed)})
            if resp.status_code == 200:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                errors += 1

    async with httpx.AsyncClient(timeout=60) as http:
        began = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.monotonic() - began
    rate = len(latencies) / elapsed
    return f"{rate:6.1f} req/s  {summary(latencies)}  n={len(latencies)} errors={errors}"


def hybrid_latency(settings: Settings, queries: list[str], rounds: int = 2) -> list[float]:
    index = open_catalog_index(settings)
    try:
        for query in queries[:20]:
            index.search("shopping", query, k=8)
        out: list[float] = []
        for _ in range(rounds):
            for query in queries:
                start = time.perf_counter()
                index.search("shopping", query, k=8)
                out.append((time.perf_counter() - start) * 1000)
        return out
    finally:
        index.close()


def fts5_latency(snapshots: Path, queries: list[str]) -> list[float]:
    store = SnapshotStore(snapshots, poll_s=60)
    searcher = LexicalSearcher(store)
    where = sql_where("shopping", None)
    out: list[float] = []
    for query in queries:
        start = time.perf_counter()
        searcher.search("shopping", query, where, 50)
        out.append((time.perf_counter() - start) * 1000)
    store.close()
    return out


def postgres_fts_latency(url: str, db: Path, queries: list[str]) -> tuple[list[float], float]:
    """Load the same rows into a tsvector/GIN table; (per-query ms, load seconds)."""
    import psycopg

    conn_lite = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    rows = conn_lite.execute(
        "SELECT i.id, i.vertical, f.title, f.description, f.tags, f.extra FROM items i "
        "JOIN items_fts f ON f.rowid = i.rid"
    ).fetchall()
    conn_lite.close()
    with psycopg.connect(url, autocommit=True) as conn:
        began = time.monotonic()
        conn.execute(
            "CREATE TABLE bench_items (id TEXT, vertical TEXT, title TEXT, description TEXT, "
            "tags TEXT, extra TEXT, doc tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(tags, '')), 'B') || "
            "setweight(to_tsvector('english', coalesce(extra, '')), 'C') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'D')) STORED)"
        )
        with conn.cursor().copy(
            "COPY bench_items (id, vertical, title, description, tags, extra) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("CREATE INDEX bench_items_doc ON bench_items USING GIN (doc)")
        conn.execute("ANALYZE bench_items")
        load_s = time.monotonic() - began
        out: list[float] = []
        for query in queries:
            terms = " | ".join(query_terms(query)) or "nothing"
            start = time.perf_counter()
            conn.execute(
                "SELECT id, ts_rank(doc, q) AS r FROM bench_items, to_tsquery('english', %s) q "
                "WHERE doc @@ q AND vertical = 'shopping' ORDER BY r DESC, id LIMIT 50",
                (terms,),
            ).fetchall()
            out.append((time.perf_counter() - start) * 1000)
        conn.execute("DROP TABLE bench_items")
    return out, load_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=400, help="rows per starter source")
    parser.add_argument("--seconds", type=float, default=20.0, help="load per phase")
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    work = Path(tempfile.mkdtemp(prefix="tessera-bench-cluster-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    with postgres() as pg, chroma_server(work) as chroma:
        env = {
            "TESSERA_DATABASE_URL": pg.url,
            "TESSERA_CHROMA_URL": chroma,
            "TESSERA_SNAPSHOT_DIR": str(work / "snapshots"),
            "TESSERA_PLANNER": "rule",
            "TESSERA_HOME": str(work / "builder"),
        }
        embedded = {"TESSERA_HOME": str(work / "embedded"), "TESSERA_PLANNER": "rule"}
        tessera(["db", "upgrade"], env)
        began = time.monotonic()
        tessera(["index", "--starter", "--limit", str(args.limit)], env, timeout=1800)
        print(f"indexed into Chroma server + snapshot in {time.monotonic() - began:.1f} s")
        tessera(["index", "--starter", "--limit", str(args.limit)], embedded, timeout=1800)
        snaps = Snapshots(work / "snapshots")
        live = snaps.current()
        assert live is not None
        db = snaps.db_path(live)
        queries = catalog_queries(db, 400)
        print(f"catalog: {sqlite3.connect(db).execute('SELECT count(*) FROM items').fetchone()[0]}"
              f" items; {len(queries)} distinct queries")  # fmt: skip

        server = Settings(home=work / "bench-home", chroma_url=chroma,
                          snapshot_dir=work / "snapshots")  # fmt: skip
        local = Settings(home=work / "embedded")
        remote_ms = hybrid_latency(server, queries)
        local_ms = hybrid_latency(local, queries)
        ratio = statistics.median(remote_ms) / statistics.median(local_ms)
        print(f"hybrid, Chroma server + snapshot : {summary(remote_ms)}")
        print(f"hybrid, PersistentClient (local) : {summary(local_ms)}")
        print(f"ratio server/local (p50)         : {ratio:.2f}x")

        fts5 = fts5_latency(work / "snapshots", queries)
        pg_ms, load_s = postgres_fts_latency(pg.url, db, queries)
        print(f"lexical, FTS5 snapshot           : {summary(fts5)}")
        print(f"lexical, Postgres tsvector/GIN   : {summary(pg_ms)} (load+index {load_s:.1f} s)")

        one = Worker(work / "w-single", env).start()
        try:
            asyncio.run(drive([one.url], queries[:20], 3, 2))
            print(f"1 worker , {args.clients} clients : "
                  + asyncio.run(drive([one.url], queries, args.seconds, args.clients)))  # fmt: skip
        finally:
            one.stop()
        homes = [work / f"w-{n}" for n in range(3)]
        with workers(homes, env) as three:
            urls = [w.url for w in three]
            asyncio.run(drive(urls, queries[:20], 3, 2))
            print(f"3 workers, {args.clients} clients : "
                  + asyncio.run(drive(urls, queries, args.seconds, args.clients)))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
