"""The local llama.cpp server on planning prompts: what each server setting buys.

Sends the planner's real system and user messages (with its JSON schema) for a
few planning-suite requests, and the clause splitter's (a compact schema: only
the request's parts) for long held-out requests, to a running server and prints, per variant, the
median latency, prompt tokens evaluated per request (llama.cpp's
`timings.prompt_n`: the tokens not reused from the KV cache), tokens reused
(`cache_n`) and tokens generated. Variants: the static system prompt reused
from the KV cache or not (`cache_prompt`), a loose or tight `max_tokens`, and
one or two requests at once (parallel slots), the full plan schema or the
compact split schema. Compare threads by running it against a server started
with TESSERA_LLM_THREADS=1 and one with 2; note the machine's load (`uptime`).

    python bench/bench_llm_server.py --base-url http://127.0.0.1:8088/v1 --n 6
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx

from agent.deps import open_index
from agent.llm.client import strict_schema
from agent.planning.draft import DraftPlan
from agent.planning.llm_planner import LLMPlanner
from agent.planning.splitter import ClauseSplit
from agent.settings import Settings
from agent.understand.reader import understand
from evals.suites import read_cases
from evals.suites.planning import DEFAULT_DATA, PlanningCase
from prompts.loader import render

KINDS_DATA = DEFAULT_DATA.with_name("planning_kinds.jsonl")


class _NoClient:
    model = "bench"


def _format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def split_bodies(settings: Settings, n: int) -> list[dict[str, Any]]:
    """Chat bodies as the clause splitter sends them, for `n` long held-out requests."""
    cases = [c for c in read_cases(KINDS_DATA, PlanningCase) if c.kind == "long"][:n]
    return [
        {
            "model": settings.llm_model,
            "messages": [
                {"role": "system", "content": render("split_system")},
                {"role": "user", "content": render("split_user", request=case.query)},
            ],
            "temperature": 0.0,
            "response_format": _format("split", strict_schema(ClauseSplit)),
        }
        for case in cases
    ]


def bodies(settings: Settings, n: int) -> list[dict[str, Any]]:
    """Chat bodies exactly as the planner sends them, for `n` suite requests."""
    index = open_index(settings)
    try:
        vocab = index.facets()
        planner = LLMPlanner(_NoClient())  # type: ignore[arg-type]
        cases = [c for c in read_cases(DEFAULT_DATA, PlanningCase) if not c.history][:n]
        out = []
        for case in cases:
            system, user = planner.prompts(understand(case.query, vocab), vocab, [])
            out.append(
                {
                    "model": settings.llm_model,
                    "messages": [
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    "temperature": 0.0,
                    "response_format": _format("plan", strict_schema(DraftPlan)),
                }
            )
        return out
    finally:
        index.close()


async def one(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, float]:
    started = time.perf_counter()
    response = await http.post(url, json=body)
    response.raise_for_status()
    data = response.json()
    timings = data.get("timings") or {}
    return {
        "s": time.perf_counter() - started,
        "prompt_n": float(timings.get("prompt_n", data["usage"]["prompt_tokens"])),
        "cache_n": float(timings.get("cache_n", 0)),
        "out": float(data["usage"]["completion_tokens"]),
        "gen_tps": float(timings.get("predicted_per_second", 0.0)),
    }


async def variant(
    base_url: str, batch: list[dict[str, Any]], *, cache: bool, max_tokens: int, parallel: int
) -> dict[str, float]:
    url = base_url.rstrip("/") + "/chat/completions"
    extra = {"cache_prompt": cache, "max_tokens": max_tokens}
    results: list[dict[str, float]] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=600) as http:
        for i in range(0, len(batch), parallel):
            group = [b | extra for b in batch[i : i + parallel]]
            results += await asyncio.gather(*(one(http, url, b) for b in group))
    wall = time.perf_counter() - started
    return {
        "p50_s": statistics.median(r["s"] for r in results),
        "prompt_n": statistics.median(r["prompt_n"] for r in results),
        "cache_n": statistics.median(r["cache_n"] for r in results),
        "out": statistics.median(r["out"] for r in results),
        "gen_tps": statistics.median(r["gen_tps"] for r in results),
        "req_per_s": len(results) / wall,
    }


async def main_async(args: argparse.Namespace) -> None:
    settings = Settings()
    plans = bodies(settings, args.n)
    splits = split_bodies(settings, args.n)
    print(f"{len(plans)} planning and {len(splits)} split prompts against {args.base_url}")
    print(
        "| variant | p50 s | prompt tokens evaluated | reused from cache | generated "
        "| generated tok/s | req/s | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, batch, cache, max_tokens, parallel in [
        ("plan, no prompt cache, max_tokens 384", plans, False, 384, 1),
        ("plan, prompt cache, max_tokens 384", plans, True, 384, 1),
        ("plan, prompt cache, max_tokens 160", plans, True, 160, 1),
        ("plan, prompt cache, max_tokens 160, 2 at once", plans, True, 160, 2),
        ("split (compact schema), prompt cache, max_tokens 96", splits, True, 96, 1),
        ("split (compact schema), prompt cache, max_tokens 96, 2 at once", splits, True, 96, 2),
    ]:
        if args.only and args.only not in name:
            continue
        await variant(args.base_url, batch[:1], cache=cache, max_tokens=max_tokens, parallel=1)
        r = await variant(
            args.base_url, batch, cache=cache, max_tokens=max_tokens, parallel=parallel
        )
        print(
            f"| {name} | {r['p50_s']:.2f} | {r['prompt_n']:.0f} | {r['cache_n']:.0f} | "
            f"{r['out']:.0f} | {r['gen_tps']:.1f} | {r['req_per_s']:.2f} | "
            f"{os.getloadavg()[0]:.1f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--only", default="", help="run the variants whose name holds this")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
