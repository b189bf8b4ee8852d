"""The answerability suite: does the page abstain when the catalog has nothing, and only then?

Cases (`evals/data/answerability.jsonl`) are requests the starter catalog cannot
answer (bedroom decor, power tools, car parts: nothing of the kind is indexed) mixed
with requests it can, each of those naming the vertical that answers it. Scores:

- `junk_module_rate`: over unanswerable requests, the share of pages that show any
  module (a module there is junk);
- `abstained`: over unanswerable requests, the share of pages that say
  "no good matches for '...' in this catalog";
- `module_recall`: over answerable requests, the share of pages with a module of the
  expected vertical.

Run with `tessera eval answerability` (configurations as in the page suite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from statistics import mean

from pydantic import BaseModel, ConfigDict, Field

from agent.models import Page
from evals.report import CaseResult, Report
from evals.runner import Observation, System, base_result, run_configs
from evals.suites import DATA_DIR, EvalContext, SuiteSpec, build_report, choose, load_cases
from evals.suites.page import CONFIGS, PageFactory
from tools.catalog import Vertical

METRICS = ["junk_module_rate", "abstained", "module_recall"]
DEFAULT_DATA = DATA_DIR / "answerability.jsonl"
UNANSWERABLE_ONLY = ("junk_module_rate", "abstained")
ANSWERABLE_ONLY = ("module_recall",)


class AnswerabilityCase(BaseModel):
    """A request and whether the starter catalog can answer it (and in which vertical)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    answerable: bool
    vertical: Vertical | None = Field(default=None, description="Answering vertical.")
    note: str = ""


@asynccontextmanager
async def _as_system(
    factory: PageFactory, ctx: EvalContext
) -> AsyncIterator[System[AnswerabilityCase, Page]]:
    async with factory(ctx) as pages:

        async def call(case: AnswerabilityCase) -> Page:
            return await pages.page(case.query)

        yield System(call=call, usage=pages.usage, description=pages.description)


def score_page(case: AnswerabilityCase, page: Page | None) -> dict[str, float]:
    """The case's metrics: only those of its own kind (unanswerable or answerable)."""
    modules = page.modules if page is not None else []
    notes = page.trace.notes if page is not None else []
    if not case.answerable:
        said = any(n.startswith("no good matches") for n in notes)
        return {"junk_module_rate": float(bool(modules)), "abstained": float(said)}
    return {"module_recall": float(any(m.vertical == case.vertical for m in modules))}


def score_pages(
    observations: Sequence[Observation[AnswerabilityCase, Page]],
) -> list[CaseResult]:
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.query)
        result.metrics = score_page(obs.case, obs.output)
        if obs.output is not None:
            result.detail = {"modules": [f"{m.vertical}: {m.title}" for m in obs.output.modules]}
        results.append(result)
    return results


def _restrict(cases: Sequence[CaseResult], answerable: dict[str, bool]) -> dict[str, float]:
    """Each metric averaged over the cases of its own kind only."""
    out: dict[str, float] = {}
    for metric in METRICS:
        wanted = metric in ANSWERABLE_ONLY
        values = [c.metrics.get(metric, 0.0) for c in cases if answerable[c.id] == wanted]
        out[metric] = mean(values) if values else 0.0
    return out


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen page configurations over answerable and unanswerable requests."""
    chosen = choose(CONFIGS, configs, ("rule",))
    path, cases = load_cases(ctx, DEFAULT_DATA, AnswerabilityCase)
    results = await run_configs(
        cases,
        {name: partial(_as_system, factory, ctx) for name, factory in chosen.items()},
        score_pages,
        METRICS,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    answerable = {c.id: c.answerable for c in cases}
    for config in results:
        config.summary |= _restrict(config.cases, answerable)
    counts = {"answerable": sum(answerable.values()), "unanswerable": len(cases)}
    counts["unanswerable"] -= counts["answerable"]
    return build_report(
        ctx, suite="answerability", dataset=path.name, metrics=METRICS,
        primary="junk_module_rate", configs=results,
        params={"path": str(path), "cases": len(cases), **counts},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="answerability",
    summary="abstention: junk-module rate on unanswerable requests, module recall on answerable",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("rule",),
)
