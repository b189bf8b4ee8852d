"""What the LLM adds, kind by kind: the router alone against the router with the LLM.

Runs the held-out kind cases (`evals/data/planning_kinds.jsonl`: long run-on
multi-intent requests, constraint phrasings, follow-ups in a thread, plain
single intents; written apart from the planner's few-shot examples and the
router's training data) through the engine as `/v1/search` runs them, and
prints per kind and configuration: routing F1, decomposition accuracy (the
plan has exactly the expected number of sub-queries per vertical), filter F1,
blocking LLM calls per request, the share the LLM decided and p50 latency.

Configurations:

- `router`: the distilled router alone (no LLM);
- `auto`: the default (the LLM only for the kinds `TESSERA_LLM_PLAN_KINDS` names);
- `plan-all`: the LLM's full plan asked for every request, grounded, router fallback;
- `split-long` / `plan-long`: the LLM asked only for requests read as long
  multi-intent, to split them into clauses (spans of the request, verified,
  each routed by the router) or to plan them outright.

`--budget` lifts the LLM's time limits so a loaded machine measures what the
model decides rather than its timeouts (latency is then not the default's).

Start the local server first (`tessera llm serve --detach`) or let the LLM
configurations start it. Timings on a shared machine are noisy; quality is not.

    python bench/bench_llm_kinds.py --configs router auto plan-all split-long plan-long
    python bench/bench_llm_kinds.py --configs plan-all --budget 120 --show
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from agent.deps import open_deps
from agent.engine import Engine
from agent.memory import serializer
from agent.models import Plan, SearchRequest
from agent.settings import Settings
from evals.suites import DATA_DIR, read_cases
from evals.suites.planning import PlanningCase, score_plan

KINDS_DATA = DATA_DIR / "planning_kinds.jsonl"
ALL_KINDS = "long,constraint,followup,single"
CONFIGS: dict[str, tuple[bool, dict[str, Any]]] = {
    "router": (False, {"planner": "auto"}),
    "auto": (True, {"planner": "auto"}),
    "plan-all": (True, {"planner": "auto", "llm_plan_kinds": ALL_KINDS, "llm_plan_task": "plan"}),
    "split-long": (True, {"planner": "auto", "llm_plan_kinds": "long", "llm_plan_task": "split"}),
    "plan-long": (True, {"planner": "auto", "llm_plan_kinds": "long", "llm_plan_task": "plan"}),
}


def decomposed(case: PlanningCase, plan: Plan) -> float:
    """1.0 when the plan has as many sub-queries per vertical as the case expects."""
    want = Counter(r.vertical for r in case.expected)
    got = Counter(sq.vertical for sq in plan.subqueries)
    return float(want == got)


async def run_config(
    name: str, cases: list[PlanningCase], settings: Settings, *, show: bool = False
) -> dict[str, dict[str, float]]:
    """Per-kind figures of one configuration ('all' holds the totals)."""
    use_llm, overrides = CONFIGS[name]
    settings = settings.model_copy(update=overrides)
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    async with open_deps(settings, use_llm=use_llm) as deps:
        if use_llm and deps.planner is None:
            raise SystemExit(f"{name}: no LLM attached: {deps.planner_note}")
        engine = Engine(deps, checkpointer=InMemorySaver(serde=serializer()))
        for case in cases:
            thread = engine.new_thread()
            for n, text in enumerate([*case.history, case.query]):
                started = time.perf_counter()
                page = await engine.search(
                    SearchRequest(text=text, thread_id=thread), new_thread=n == 0
                )
                elapsed = time.perf_counter() - started
            turns = await engine.history(thread)
            if not turns or turns[-1].text != case.query:
                continue
            plan = turns[-1].plan
            metrics, _ = score_plan(case, plan)
            row = {
                "routing_f1": metrics["routing_f1"],
                "decomposition": decomposed(case, plan),
                "filter_f1": metrics["filter_f1"],
                "calls": float(page.trace.llm_calls),
                "decided": float(page.trace.planner.startswith("llm:")),
                "s": elapsed,
            }
            if show and (row["routing_f1"] < 1 or row["decomposition"] < 1 or row["filter_f1"] < 1):
                got = "; ".join(
                    f"{sq.vertical}:{sq.text} {sq.filters.model_dump_json(exclude_defaults=True)}"
                    for sq in plan.subqueries
                )
                print(f"  {name} {case.id} {case.query!r} -> {got} [{page.trace.planner[:90]}]")
            rows[case.kind].append(row)
            rows["all"].append(row)
    out: dict[str, dict[str, float]] = {}
    for kind, values in rows.items():
        out[kind] = {k: statistics.mean(r[k] for r in values) for k in values[0] if k != "s"}
        out[kind]["p50_s"] = statistics.median(r["s"] for r in values)
        out[kind]["n"] = float(len(values))
    return out


async def main_async(args: argparse.Namespace) -> None:
    cases = read_cases(args.dataset, PlanningCase)
    if args.kinds:
        cases = [c for c in cases if c.kind in args.kinds]
    settings = Settings(llm_titles=False, llm_suggestions=False, llm_rewrites=False)
    if args.budget:
        settings = settings.model_copy(
            update={
                "llm_plan_budget_s": args.budget,
                "llm_budget_s": args.budget,
                "llm_timeout_s": args.budget,
                "llm_breaker_failures": 1000,
            }
        )
    print(f"{len(cases)} cases from {args.dataset}; model {settings.llm_model}")
    header = (
        "| kind | config | n | routing F1 | decomposition | filter F1 | LLM calls/req "
        "| LLM decided | p50 s |"
    )
    lines = [header, "|" + "---|" * 9]
    results = {
        name: await run_config(name, cases, settings, show=args.show) for name in args.configs
    }
    for kind in [*dict.fromkeys(c.kind for c in cases), "all"]:
        for name, per_kind in results.items():
            r = per_kind.get(kind)
            if r is None:
                continue
            lines.append(
                f"| {kind} | {name} | {r['n']:.0f} | {r['routing_f1']:.3f} | "
                f"{r['decomposition']:.3f} | {r['filter_f1']:.3f} | {r['calls']:.2f} | "
                f"{r['decided']:.0%} | {r['p50_s']:.2f} |"
            )
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--dataset", type=Path, default=KINDS_DATA)
    parser.add_argument("--kinds", nargs="*", default=None)
    parser.add_argument("--budget", type=float, default=None, help="LLM seconds per plan")
    parser.add_argument("--show", action="store_true", help="print every imperfect plan")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
