"""End-to-end graph latency without an LLM (rule planner), on the indexed catalog.

Usage: .venv/bin/python bench/bench_graph.py [--runs 50] [--query "..."]
Needs an index under TESSERA_HOME (`tessera index --starter`). Prints p50/p95
for a three-sub-query request with the result cache off (every run retrieves)
and on (repeat requests), plus the per-step medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from agent.cache import Caches
from agent.deps import Deps, open_deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings

QUERY = "vegetarian soup recipes, an office chair under $150 and comedies from the 1990s"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(query: str, runs: int) -> None:
    settings = Settings(planner="rule")
    async with open_deps(settings, use_llm=False) as deps:
        await _measure(deps, query, runs)


async def _measure(deps: Deps, query: str, runs: int) -> None:
    engine = Engine(deps)
    request = SearchRequest(text=query)
    page = await engine.search(request)
    print(f"query: {query!r}")
    print(f"sub-queries: {len(page.modules)} modules; planner: {page.trace.planner}")
    for label, caches in (("no result cache", None), ("result cache", Caches())):
        deps.caches = caches
        await engine.search(request)
        times: list[float] = []
        steps: dict[str, list[float]] = {}
        for _ in range(runs):
            started = time.perf_counter()
            page = await engine.search(request)
            times.append((time.perf_counter() - started) * 1000)
            for step in page.trace.steps:
                steps.setdefault(step.name, []).append(step.elapsed_ms)
        print(
            f"{label:16s} runs={runs} p50={statistics.median(times):.1f} ms "
            f"p95={pct(times, 0.95):.1f} ms"
        )
        if caches is None:
            medians = {name: statistics.median(v) for name, v in steps.items()}
            print("  step medians (ms): " + ", ".join(f"{k}={v:.1f}" for k, v in medians.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    asyncio.run(run(args.query, args.runs))


if __name__ == "__main__":
    main()
