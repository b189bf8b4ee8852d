"""The answerability suite: does the page abstain when the catalog has nothing, and only then?

Cases (`evals/data/answerability.jsonl`) are requests the starter catalog cannot
answer (bedroom decor, power tools, car parts: nothing of the kind is indexed) mixed
with requests it can, each of those naming the vertical that answers it. Scores:

- `junk_module_rate`: over all requests, the share of pages that show a junk module:
  one that answers nothing the request asked. On an unanswerable request every module
  is junk. On an answerable one the labelled intent is the request in its vertical, so
  a module of another vertical is junk (a recipe module, or a film called "Running with
  Scissors", for "a pair of scissors": the fan-out of an unsure plan), and so is a
  module of the labelled vertical none of whose items carries any of the request's
  content words (their first six letters) in its own fields (`evals.judge.field_words`;
  loose on purpose: films carry no decade or running time as words). A request with no
  content words is judged by vertical alone;
- `unanswerable_junk_rate`: over unanswerable requests only, the share of pages that
  show any module (what `junk_module_rate` counted before it judged answerable pages);
- `abstained`: over unanswerable requests, the share of pages that say
  "no good matches for '...' in this catalog";
- `module_recall`: over answerable requests, the share of pages with a module of the
  expected vertical.

Run with `tessera eval answerability` (configurations as in the page suite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from statistics import mean
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from agent.models import Module, Page
from agent.quality.relevance import query_terms
from evals.report import CaseResult, Report
from evals.runner import Observation, System, base_result, run_configs
from evals.suites import DATA_DIR, EvalContext, SuiteSpec, build_report, choose, load_cases
from evals.suites.page import CONFIGS, PageFactory
from tools.catalog import VERTICALS, Vertical

METRICS = ["junk_module_rate", "unanswerable_junk_rate", "abstained", "module_recall"]
DEFAULT_DATA = DATA_DIR / "answerability.jsonl"
UNANSWERABLE_ONLY = ("unanswerable_junk_rate", "abstained")
ANSWERABLE_ONLY = ("module_recall",)

PREFIX = 6
"""Words meet on their first letters ('animated', 'animation'): the loose judge's stem."""

ModuleJudge = Callable[[str, Module], bool]
"""Whether a module answers a request: `(request, module) -> bool`."""


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


def junk_modules(
    case: AnswerabilityCase, page: Page | None, judge: ModuleJudge | None
) -> list[Module]:
    """The page's modules that answer nothing the request asked (see the module doc)."""
    modules = page.modules if page is not None else []
    if not case.answerable:
        return list(modules)
    off = [m for m in modules if m.vertical != case.vertical]
    if judge is None or not query_terms(case.query):
        return off
    return off + [m for m in modules if m.vertical == case.vertical and not judge(case.query, m)]


def score_page(
    case: AnswerabilityCase, page: Page | None, judge: ModuleJudge | None = None
) -> dict[str, float]:
    """The case's metrics; those of one kind only (unanswerable or answerable) are left
    out of the other kind's averages. Without a judge, only off-vertical modules are junk."""
    modules = page.modules if page is not None else []
    notes = page.trace.notes if page is not None else []
    junk = float(bool(junk_modules(case, page, judge)))
    if not case.answerable:
        said = any(n.startswith("no good matches") for n in notes)
        return {
            "junk_module_rate": junk,
            "unanswerable_junk_rate": float(bool(modules)),
            "abstained": float(said),
        }
    recalled = any(m.vertical == case.vertical for m in modules)
    return {"junk_module_rate": junk, "module_recall": float(recalled)}


def score_pages(
    observations: Sequence[Observation[AnswerabilityCase, Page]],
    judge: ModuleJudge | None = None,
) -> list[CaseResult]:
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.query)
        result.metrics = score_page(obs.case, obs.output, judge)
        if obs.output is not None:
            junk = {m.id for m in junk_modules(obs.case, obs.output, judge)}
            result.detail = {
                "modules": [f"{m.vertical}: {m.title}" for m in obs.output.modules],
                "junk": [f"{m.vertical}: {m.title}" for m in obs.output.modules if m.id in junk],
            }
        results.append(result)
    return results


@contextmanager
def catalog_judge(ctx: EvalContext) -> Iterator[ModuleJudge]:
    """A module touches a request when one of its items, read from the catalog by id,
    carries one of the request's content words in its own fields."""
    from agent.deps import open_index
    from evals.judge import field_words

    index = open_index(ctx.settings)
    try:

        def judge(query: str, module: Module) -> bool:
            if module.vertical not in VERTICALS:
                return False
            items = index.get(cast(Vertical, module.vertical), [i.id for i in module.items])
            terms = {t[:PREFIX] for t in query_terms(query)}
            return any(terms & {w[:PREFIX] for w in field_words(item)} for item in items)

        yield judge
    finally:
        index.close()


def _restrict(cases: Sequence[CaseResult], answerable: dict[str, bool]) -> dict[str, float]:
    """Each metric averaged over the cases of its own kind only."""
    out: dict[str, float] = {}
    for metric in METRICS:
        kinds = {True, False}
        if metric in ANSWERABLE_ONLY:
            kinds = {True}
        elif metric in UNANSWERABLE_ONLY:
            kinds = {False}
        values = [c.metrics.get(metric, 0.0) for c in cases if answerable[c.id] in kinds]
        out[metric] = mean(values) if values else 0.0
    return out


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen page configurations over answerable and unanswerable requests."""
    chosen = choose(CONFIGS, configs, ("rule",))
    path, cases = load_cases(ctx, DEFAULT_DATA, AnswerabilityCase)
    with catalog_judge(ctx) as judge:
        results = await run_configs(
            cases,
            {name: partial(_as_system, factory, ctx) for name, factory in chosen.items()},
            partial(score_pages, judge=judge),
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
