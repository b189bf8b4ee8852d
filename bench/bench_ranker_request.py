"""Whole requests through the engine (the path `/v1/search` runs), fusion against the
learned ranker, on the index under TESSERA_HOME.

Run: TESSERA_HOME=H .venv/bin/python bench/bench_ranker_request.py fusion|ltr

The rule planner plans (no LLM), three other queries warm the process, then each of twelve
shopping queries is searched once, so no result or query-vector cache is hit. The process
does not prime the ranker (as a one-shot `tessera search`); with `ltr` the index needs a
model under TESSERA_HOME/ranker and the title vectors `TESSERA_RANKER=ltr tessera index`
stores. Prints the median and p95 wall time of a request.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.deps import open_deps  # noqa: E402
from agent.engine import Engine  # noqa: E402
from agent.models import SearchRequest  # noqa: E402
from agent.settings import RankerMode, Settings  # noqa: E402

WARM = ["red dress", "garden hose", "phone case"]
QUERIES = [
    "office chair under $150", "black desk lamp", "standing desk",
    "bluetooth headphones under $60", "ergonomic mouse", "white bookshelf", "coffee maker",
    "running shoes for women", "leather sofa", "wireless keyboard", "kitchen knife set",
    "backpack for laptop",
]  # fmt: skip


async def run(mode: RankerMode) -> None:
    settings = Settings(ranker=mode, planner="rule")
    async with open_deps(settings) as deps:
        engine = Engine(deps)
        for text in WARM:
            await engine.search(SearchRequest(text=text))
        ms = []
        for text in QUERIES:
            started = time.perf_counter()
            await engine.search(SearchRequest(text=text))
            ms.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(ms, n=20)[18]
    print(f"{mode} ({deps.ranker_note}): {len(ms)} requests, "
          f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "ltr"
    if chosen not in ("fusion", "ltr"):
        sys.exit("usage: bench_ranker_request.py fusion|ltr")
    asyncio.run(run("ltr" if chosen == "ltr" else "fusion"))
