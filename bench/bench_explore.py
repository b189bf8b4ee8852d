"""Broad intents end to end: latency of exploratory pages, the first streamed module, and
requests for a thing beside them.

Runs through the engine as `POST /v1/search` runs it (`open_deps` from the settings,
an LLM where the settings let one attach) and prints, with the load average:

- exploratory requests (the `exploratory` suite's intents): p50 / p95 page latency,
  and how many pages held aspect modules;
- the same intents streamed (`Engine.stream`, as `/v1/chat` does, search results no
  longer cached, expansions stored by the first pass): p50 / p95 time to the first
  module event and to the first aspect module;
- requests for a thing (single / constraint: no LLM): p50 / p95 page latency.

Each exploratory intent is asked once cold (its expansion not yet stored) unless
`--warm`; `--fresh` first clears the stored expansions of the intents asked.
Timings on a shared machine are noisy: quote the load beside them.

    python bench/bench_explore.py --limit 12
    TESSERA_PLANNER=rule python bench/bench_explore.py --limit 12
    cd OTHER_CHECKOUT && PYTHONPATH=. python PATH/bench_explore.py --things-only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

from agent.cache import Caches
from agent.deps import open_deps
from agent.engine import Engine
from agent.models import Page, SearchRequest
from agent.settings import Settings
from evals.suites import DATA_DIR

THINGS = [
    "red office chair", "lasagna", "horror movies", "bluetooth speaker", "banana bread",
    "garden hose", "desk lamp under 40", "comedies from the 1990s", "vegan curry",
    "black backpack", "chocolate chip cookies", "standing desk",
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def intents(limit: int) -> list[str]:
    rows = (DATA_DIR / "exploratory.jsonl").read_text().splitlines()
    return [json.loads(r)["intent"] for r in rows if r.strip()][:limit]


async def timed_search(engine: Engine, text: str) -> tuple[float, Page]:
    started = time.perf_counter()
    page = await engine.search(SearchRequest(text=text))
    return (time.perf_counter() - started) * 1000, page


async def timed_stream(engine: Engine, text: str) -> tuple[float | None, float | None]:
    started = time.perf_counter()
    first = aspect = None
    async for event in engine.stream(SearchRequest(text=text)):
        if event.kind == "module" and event.module is not None:
            now = (time.perf_counter() - started) * 1000
            first = now if first is None else first
            if event.module.aspect and aspect is None:
                aspect = now
    return first, aspect


async def things_only() -> None:
    """Requests for a thing alone: run it from another checkout to compare (no LLM)."""
    async with open_deps(Settings()) as deps:
        engine = Engine(deps)
        for text in THINGS[:2]:
            await timed_search(engine, text)
        things = [(await timed_search(engine, t))[0] for t in THINGS]
    print(f"load average: {os.getloadavg()}")
    print(f"things ({len(things)}): p50 {statistics.median(things):.0f} ms")


async def run(limit: int, fresh: bool, warm: bool) -> None:
    settings = Settings()
    async with open_deps(settings) as deps:
        engine = Engine(deps)
        if fresh and deps.expansions is not None and deps.llm is not None:
            from agent.planning.aspects import AspectOpener, normalise_intent

            store = deps.expansions
            for text in intents(limit):
                store.put(normalise_intent(text), AspectOpener(deps.llm).model, "null")
        for text in THINGS[:2]:
            await timed_search(engine, text)
        explore_ms: list[float] = []
        with_aspects = 0
        for text in intents(limit):
            if warm:
                await timed_search(engine, text)
            ms, page = await timed_search(engine, text)
            explore_ms.append(ms)
            with_aspects += any(m.aspect for m in page.modules)
        deps.caches = Caches()
        firsts: list[float] = []
        aspects: list[float] = []
        for text in intents(limit):
            first, aspect = await timed_stream(engine, text)
            if first is not None:
                firsts.append(first)
            if aspect is not None:
                aspects.append(aspect)
        things = [(await timed_search(engine, t))[0] for t in THINGS]
        print(f"planner: {deps.planner_note}; model {settings.llm_model}")
    print(f"load average: {os.getloadavg()}")
    print(
        f"exploratory ({len(explore_ms)}): p50 {pct(explore_ms, 0.5):.0f} ms, "
        f"p95 {pct(explore_ms, 0.95):.0f} ms; pages with aspect modules {with_aspects}"
    )
    print(
        f"streamed: first module p50 {pct(firsts, 0.5):.0f} ms, p95 {pct(firsts, 0.95):.0f} ms; "
        f"first aspect module p50 {pct(aspects, 0.5):.0f} ms ({len(aspects)} pages)"
    )
    print(
        f"things ({len(things)}): p50 {statistics.median(things):.0f} ms, "
        f"p95 {pct(things, 0.95):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=12)
    parser.add_argument("--fresh", action="store_true", help="clear stored expansions first")
    parser.add_argument("--warm", action="store_true", help="ask each intent twice, time the 2nd")
    parser.add_argument("--things-only", action="store_true", help="only requests for a thing")
    args = parser.parse_args()
    if args.things_only:
        asyncio.run(things_only())
    else:
        asyncio.run(run(args.limit, args.fresh, args.warm))


if __name__ == "__main__":
    main()
