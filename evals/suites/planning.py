"""The planning suite: does a planner route each request to the right verticals and filters?

Cases come from `evals/data/planning.jsonl`. A configuration is a planner callable
`async (query, history) -> Plan`. Scores per case:

- routing precision / recall / F1 over the set of verticals planned vs expected;
- sub-query coverage: the share of expected routes matched one-to-one by a sub-query
  of the same vertical;
- filter exact match: 1 when every expected route is matched by a sub-query whose
  filters equal the expected ones exactly, else 0; filter F1 gives partial credit over
  (vertical, field, value) triples;
- in each case's detail, the first sub-query's vertical and whether any goes to video
  (on shopper queries: does the page lead with products, would it carry a film module);
- LLM calls, tokens and time per query, and latency, from the runner.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agent.models import Plan
from evals.metrics import set_scores
from evals.report import CaseResult, Report
from evals.runner import Observation, System, Usage, base_result, run_configs
from evals.suites import (
    DATA_DIR,
    EvalContext,
    SuiteSpec,
    build_report,
    choose,
    engine_deps,
    load_cases,
    local_llm,
)
from tools.catalog import Vertical
from tools.filters import Filters

METRICS = [
    "routing_precision", "routing_recall", "routing_f1",
    "subquery_coverage", "filter_exact", "filter_f1",
]  # fmt: skip
DEFAULT_DATA = DATA_DIR / "planning.jsonl"
Triple = tuple[str, str, str]


class ExpectedRoute(BaseModel):
    """One sub-query the request should produce: its vertical and exact filters."""

    model_config = ConfigDict(extra="forbid")

    vertical: Vertical
    filters: Filters = Field(default_factory=Filters)


class PlanningCase(BaseModel):
    """One request, the conversation before it, and the routes it should yield."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    query: str
    history: list[str] = Field(default_factory=list)
    expected: list[ExpectedRoute]
    kind: str = ""
    note: str = ""


PlannerFn = Callable[[str, list[str]], Awaitable[Plan]]


@dataclass
class PlannerUnderTest:
    """A planner configuration: the callable, and optionally its cumulative LLM usage."""

    plan: PlannerFn
    usage: Callable[[], Usage] | None = None
    description: str = ""


PlannerFactory = Callable[[EvalContext], AbstractAsyncContextManager[PlannerUnderTest]]


def filter_triples(vertical: str, filters: Filters) -> list[Triple]:
    """`filters` as (vertical, field, value) triples, one per element of a list field."""
    triples: list[Triple] = []
    for name, value in sorted(filters.model_dump(exclude_defaults=True).items()):
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            text = f"{float(v):g}" if isinstance(v, int | float) else str(v).strip().lower()
            triples.append((vertical, name, text))
    return triples


def score_plan(case: PlanningCase, plan: Plan) -> tuple[dict[str, float], dict[str, JsonValue]]:
    """Metrics of one plan against the case's expected routes, and what was matched."""
    planned = [(sq.vertical, sq.filters) for sq in plan.subqueries]
    routing = set_scores({v for v, _ in planned}, {r.vertical for r in case.expected})
    free = list(range(len(planned)))
    matched = exact = 0
    for route in case.expected:
        want = set(filter_triples(route.vertical, route.filters))
        options = [i for i in free if planned[i][0] == route.vertical]
        if not options:
            continue
        best = max(options, key=lambda i: len(want & set(filter_triples(*planned[i]))))
        free.remove(best)
        matched += 1
        exact += set(filter_triples(*planned[best])) == want
    filters = set_scores(
        [t for v, f in planned for t in filter_triples(v, f)],
        [t for r in case.expected for t in filter_triples(r.vertical, r.filters)],
    )
    n = len(case.expected)
    metrics = {
        "routing_precision": routing["precision"],
        "routing_recall": routing["recall"],
        "routing_f1": routing["f1"],
        "subquery_coverage": matched / n if n else float(not planned),
        "filter_exact": float(exact == n),
        "filter_f1": filters["f1"],
    }
    detail: dict[str, JsonValue] = {
        "planner": plan.planner,
        "subqueries": [
            f"{sq.vertical}: {sq.text} {sq.filters.model_dump_json(exclude_defaults=True)}"
            for sq in plan.subqueries
        ],
        "kind": case.kind,
        "first_vertical": plan.subqueries[0].vertical,
        "routes_video": any(sq.vertical == "video" for sq in plan.subqueries),
    }
    return metrics, detail


def score_planning(observations: Sequence[Observation[PlanningCase, Plan]]) -> list[CaseResult]:
    """Score every observed plan; a planner that raised scores 0 on every metric."""
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.query)
        if obs.output is not None:
            result.metrics, result.detail = score_plan(obs.case, obs.output)
        else:
            result.metrics = dict.fromkeys(METRICS, 0.0)
            result.detail = {"kind": obs.case.kind}
        results.append(result)
    return results


def engine_planner(use_llm: bool, **overrides: str | bool) -> PlannerFactory:
    """A configuration that plans through the full engine, so follow-ups are read in context.

    The history turns and the query run in a fresh conversation thread; the plan of the
    last turn is the answer. LLM use is read from the last page's trace. LLM titles,
    suggestions and rewrites are off: only planning is measured.
    """
    quiet: dict[str, str | bool] = {
        "llm_titles": False,
        "llm_suggestions": False,
        "llm_rewrites": False,
    }
    overrides = quiet | overrides

    @asynccontextmanager
    async def factory(ctx: EvalContext) -> AsyncIterator[PlannerUnderTest]:
        from langgraph.checkpoint.memory import InMemorySaver

        from agent.engine import Engine
        from agent.memory import serializer
        from agent.models import SearchRequest

        settings = ctx.settings.model_copy(update=overrides)
        async with engine_deps(settings, use_llm=use_llm) as deps:
            engine = Engine(deps, checkpointer=InMemorySaver(serde=serializer()))
            used = Usage()

            async def plan(query: str, history: list[str]) -> Plan:
                thread = engine.new_thread()
                for n, text in enumerate([*history, query]):
                    request = SearchRequest(text=text, thread_id=thread)
                    page = await engine.search(request, new_thread=n == 0)
                used.llm_calls += page.trace.llm_calls
                used.llm_tokens += page.trace.llm_tokens
                used.llm_ms += sum(call.latency_ms for call in page.trace.llm)
                turns = await engine.history(thread)
                if not turns or turns[-1].text != query:
                    raise ValueError(f"no plan was made for the request: {page.trace.planner}")
                return turns[-1].plan

            yield PlannerUnderTest(plan, lambda: used.model_copy(), deps.planner_note)

    return factory


def llm_only(model: str, port_offset: int = 0) -> PlannerFactory:
    """The LLM planner alone on `model`: no rule fallback, so its failures count as errors.

    `port_offset` keeps each local model on its own port, so a server already running
    another model is never measured under this name.
    """

    @asynccontextmanager
    async def factory(ctx: EvalContext) -> AsyncIterator[PlannerUnderTest]:
        from agent.deps import open_index
        from agent.llm.client import LLMClient
        from agent.planning.llm_planner import LLMPlanner
        from agent.understand.reader import understand

        port = ctx.settings.llm_port + port_offset
        settings = ctx.settings.model_copy(update={"llm_model": model, "llm_port": port})
        async with local_llm(settings) as base_url, AsyncExitStack() as stack:
            index = open_index(settings)
            stack.callback(index.close)
            client = LLMClient(settings, base_url=base_url)
            stack.push_async_callback(client.aclose)
            planner = LLMPlanner(client)
            used = Usage()

            async def plan(query: str, history: list[str]) -> Plan:
                vocab = index.facets()
                understood = understand(query, vocab, max_chars=settings.max_query_chars)
                budget = client.new_budget()
                try:
                    return await planner.plan(understood, vocab, history=history, budget=budget)
                finally:
                    used.llm_calls += budget.calls
                    used.llm_tokens += budget.tokens
                    used.llm_ms += sum(r.latency_ms for r in budget.records)

            yield PlannerUnderTest(plan, lambda: used.model_copy(), f"LLM planner only: {model}")

    return factory


CONFIGS: dict[str, PlannerFactory] = {
    "rule": engine_planner(use_llm=False, planner="rule"),
    "router": engine_planner(use_llm=False, planner="auto"),
    "auto": engine_planner(use_llm=True, planner="auto"),
    "llm-0.5b": llm_only("qwen2.5-coder-0.5b-instruct"),
    "llm-1.5b": llm_only("qwen2.5-coder-1.5b-instruct", port_offset=1),
    "hybrid": engine_planner(use_llm=True, planner="hybrid"),
}
"""Planner configurations by name: add an entry to measure another planner."""


@asynccontextmanager
async def _as_system(
    factory: PlannerFactory, ctx: EvalContext
) -> AsyncIterator[System[PlanningCase, Plan]]:
    async with factory(ctx) as planner:

        async def call(case: PlanningCase) -> Plan:
            return await planner.plan(case.query, list(case.history))

        yield System(call=call, usage=planner.usage, description=planner.description)


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen planners over the planning cases."""
    chosen = choose(CONFIGS, configs, ("rule",))
    path, cases = load_cases(ctx, DEFAULT_DATA, PlanningCase)
    results = await run_configs(
        cases,
        {name: partial(_as_system, factory, ctx) for name, factory in chosen.items()},
        score_planning,
        METRICS,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    return build_report(
        ctx, suite="planning", dataset=path.name, metrics=METRICS, primary="routing_f1",
        configs=results, params={"path": str(path), "cases": len(cases)},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="planning",
    summary="planner routing P/R/F1, filter exact match, sub-query coverage, LLM use",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("rule",),
)
