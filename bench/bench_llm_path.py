"""The LLM path end to end: planning-suite requests through the engine, as /v1/search runs them.

For each planner mode (rule, auto, llm) every case runs through `Engine.search`
with the real dependencies (`open_deps`: index, router, the local llama.cpp
server), follow-ups in their own thread. It prints end-to-end latency p50/p95
of the last turn, blocking LLM calls per request, tokens in/out per call, the
share of requests the LLM decided, and routing and filter F1 against the
cases' expected routes. Start the server first (`tessera llm serve --detach`)
or let auto mode start it; timings on a shared machine are noisy.

    python bench/bench_llm_path.py --modes rule auto llm --limit 40
    python bench/bench_llm_path.py --dataset ~/.tessera/router/heldout.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

from agent.deps import open_deps
from agent.engine import Engine
from agent.memory import serializer
from agent.models import SearchRequest
from agent.settings import Settings
from evals.suites import read_cases, select
from evals.suites.planning import DEFAULT_DATA, PlanningCase, score_plan


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run_mode(mode: str, cases: list[PlanningCase], settings: Settings) -> dict[str, float]:
    """Every case through the engine in `mode`; the figures of the table row."""
    settings = settings.model_copy(update={"planner": mode})
    latencies: list[float] = []
    calls: list[int] = []
    tokens_in: list[int] = []
    tokens_out: list[int] = []
    decided = routing = filters = 0.0
    async with open_deps(settings) as deps:
        engine = Engine(deps, checkpointer=InMemorySaver(serde=serializer()))
        for case in cases:
            thread = engine.new_thread()
            for n, text in enumerate([*case.history, case.query]):
                started = time.perf_counter()
                page = await engine.search(
                    SearchRequest(text=text, thread_id=thread), new_thread=n == 0
                )
                elapsed = time.perf_counter() - started
            latencies.append(elapsed)
            calls.append(page.trace.llm_calls)
            for call in page.trace.llm:
                if call.outcome != "budget":
                    tokens_in.append(call.prompt_tokens)
                    tokens_out.append(call.completion_tokens)
            decided += page.trace.planner.startswith("llm:")
            turns = await engine.history(thread)
            if turns and turns[-1].text == case.query:
                metrics, _ = score_plan(case, turns[-1].plan)
                routing += metrics["routing_f1"]
                filters += metrics["filter_f1"]
    n = len(cases)
    return {
        "p50_s": statistics.median(latencies),
        "p95_s": _pct(latencies, 0.95),
        "calls": sum(calls) / n,
        "max_calls": max(calls),
        "in": statistics.mean(tokens_in) if tokens_in else 0.0,
        "out": statistics.mean(tokens_out) if tokens_out else 0.0,
        "llm_share": decided / n,
        "routing_f1": routing / n,
        "filter_f1": filters / n,
    }


async def main_async(args: argparse.Namespace) -> None:
    cases = select(read_cases(args.dataset, PlanningCase), args.limit, args.seed)
    settings = Settings()
    print(f"{len(cases)} cases from {args.dataset}; threads {settings.llm_threads}")
    header = (
        "| mode | p50 s | p95 s | LLM calls/req | max | tokens in/call | tokens out/call "
        "| LLM decided | routing F1 | filter F1 |"
    )
    rows = [header, "|" + "---|" * 10]
    for mode in args.modes:
        r = await run_mode(mode, cases, settings)
        rows.append(
            f"| {mode} | {r['p50_s']:.2f} | {r['p95_s']:.2f} | {r['calls']:.2f} | "
            f"{r['max_calls']:.0f} | {r['in']:.0f} | {r['out']:.0f} | {r['llm_share']:.0%} | "
            f"{r['routing_f1']:.3f} | {r['filter_f1']:.3f} |"
        )
        print(rows[-1], flush=True)
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["rule", "auto", "llm"])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=13)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
