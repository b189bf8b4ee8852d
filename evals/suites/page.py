"""The page suite: does a multi-intent request get the right modules, in the right order?

Cases (`evals/data/pages.jsonl`) list the module verticals a page should show, most
important first. A configuration is a callable `async (query) -> Page`. Scores per case:

- module precision / recall / F1 over the page's module verticals (as multisets, so
  two shopping modules count twice);
- `module_ndcg`: nDCG over the module order, the first expected module gaining most
  (gain n for the first of n expected, down to 1 for the last);
- `top_module`: 1 when the first module has the first expected vertical.

Correct abstention is credited only where it is verified: a case may name the intent
behind each expected module (`intents`); when no item of that vertical answers the
intent (every item is judged from its own fields, `evals.judge`) and the page says
"no good matches" for it, that module is not expected. A module the page shows for
such an intent counts against precision; a silent omission still costs recall.
LLM calls, tokens and time come from each page's trace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from agent.models import Page
from evals.metrics import ndcg, set_scores
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
)
from tools.catalog import VERTICALS

METRICS = ["module_precision", "module_recall", "module_f1", "module_ndcg", "top_module"]
DEFAULT_DATA = DATA_DIR / "pages.jsonl"


class PageCase(BaseModel):
    """A request and the module verticals its page should show, in order."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    expected: list[str] = Field(min_length=1, description="Module verticals, best first.")
    intents: list[str] = Field(
        default_factory=list,
        description="What each expected module answers, aligned with `expected` (optional).",
    )
    note: str = ""

    @model_validator(mode="after")
    def _aligned(self) -> PageCase:
        if self.intents and len(self.intents) != len(self.expected):
            raise ValueError(f"{self.id}: intents must align with expected")
        return self


PageFn = Callable[[str], Awaitable[Page]]


@dataclass
class PageUnderTest:
    """A page-making configuration and its cumulative LLM usage."""

    page: PageFn
    usage: Callable[[], Usage] | None = None
    description: str = ""


PageFactory = Callable[[EvalContext], AbstractAsyncContextManager[PageUnderTest]]


def _numbered(verticals: Sequence[str]) -> list[str]:
    """`['shopping', 'ideas', 'shopping']` -> `['shopping#1', 'ideas#1', 'shopping#2']`."""
    counts: Counter[str] = Counter()
    out = []
    for vertical in verticals:
        counts[vertical] += 1
        out.append(f"{vertical}#{counts[vertical]}")
    return out


def score_modules(expected: Sequence[str], produced: Sequence[str]) -> dict[str, float]:
    """Selection and order of the produced module verticals against the expected ones."""
    selection = set_scores(produced, expected)
    want = _numbered(expected)
    gain = {key: float(len(want) - pos) for pos, key in enumerate(want)}
    gains = [gain.get(key, 0.0) for key in _numbered(produced)]
    return {
        "module_precision": selection["precision"],
        "module_recall": selection["recall"],
        "module_f1": selection["f1"],
        "module_ndcg": ndcg(gains, list(gain.values()), k=max(len(want), len(gains), 1)),
        "top_module": float(bool(produced) and produced[0] == expected[0]),
    }


def credited(case: PageCase, page: Page, unanswerable: set[int]) -> list[int]:
    """Positions of expected modules whose intent the catalog cannot answer and on which
    the page abstained out loud."""
    said = " ".join(n.lower() for n in page.trace.notes if n.startswith("no good matches"))
    return [i for i in sorted(unanswerable) if i < len(case.intents) and
            case.intents[i].lower() in said]  # fmt: skip


def score_modules_after_abstention(
    expected: Sequence[str], produced: Sequence[str], dropped: Sequence[int]
) -> dict[str, float]:
    """`score_modules` over the expected modules left once credited abstentions are taken
    out; with none left, an empty page is right and any module is wrong."""
    left = [v for i, v in enumerate(expected) if i not in set(dropped)]
    if left:
        return score_modules(left, produced)
    right = float(not produced)
    return dict.fromkeys(METRICS, right)


def scorer(
    unanswerable: dict[str, set[int]] | None = None,
) -> Callable[[Sequence[Observation[PageCase, Page]]], list[CaseResult]]:
    """Score every page; a request that raised scores 0 on every metric."""
    verified = unanswerable or {}

    def score(observations: Sequence[Observation[PageCase, Page]]) -> list[CaseResult]:
        results = []
        for obs in observations:
            result = base_result(obs, obs.case.query)
            if obs.output is None:
                result.metrics = dict.fromkeys(METRICS, 0.0)
            else:
                produced = [m.vertical for m in obs.output.modules]
                dropped = credited(obs.case, obs.output, verified.get(obs.case.id, set()))
                result.metrics = score_modules_after_abstention(
                    obs.case.expected, produced, dropped
                )
                detail: dict[str, JsonValue] = {
                    "modules": [f"{m.vertical}: {m.title}" for m in obs.output.modules],
                    "planner": obs.output.trace.planner,
                    "page_errors": list(obs.output.trace.errors),
                    "abstained_correctly": [obs.case.intents[i] for i in dropped],
                }
                result.detail = detail
            results.append(result)
        return results

    return score


score_pages = scorer()
"""Scores pages with no abstention credit (no catalog to verify against)."""


def unanswerable_intents(ctx: EvalContext, cases: Sequence[PageCase]) -> dict[str, set[int]]:
    """For each case, the expected modules whose intent no catalog item answers."""
    from agent.deps import open_index
    from evals.judge import catalog_answers

    found: dict[str, set[int]] = {}
    index = open_index(ctx.settings)
    try:
        for case in cases:
            for i, (vertical, intent) in enumerate(zip(case.expected, case.intents, strict=True)):
                if vertical in VERTICALS and not catalog_answers(index, vertical, intent):
                    found.setdefault(case.id, set()).add(i)
    finally:
        index.close()
    return found


def engine_pages(use_llm: bool, **overrides: str) -> PageFactory:
    """Pages from the full engine (no conversation), with the given settings overrides."""

    @asynccontextmanager
    async def factory(ctx: EvalContext) -> AsyncIterator[PageUnderTest]:
        from agent.engine import Engine
        from agent.models import SearchRequest

        settings = ctx.settings.model_copy(update=overrides)
        async with engine_deps(settings, use_llm=use_llm) as deps:
            engine = Engine(deps)
            used = Usage()

            async def page(query: str) -> Page:
                result = await engine.search(SearchRequest(text=query, k=settings.page_size))
                used.llm_calls += result.trace.llm_calls
                used.llm_tokens += result.trace.llm_tokens
                used.llm_ms += sum(call.latency_ms for call in result.trace.llm)
                return result

            yield PageUnderTest(page, lambda: used.model_copy(), deps.planner_note)

    return factory


CONFIGS: dict[str, PageFactory] = {
    "rule": engine_pages(use_llm=False, planner="rule"),
    "auto": engine_pages(use_llm=False, planner="auto"),
    "hybrid": engine_pages(use_llm=True, planner="hybrid"),
}
"""Page configurations by name: add an entry to measure another engine set-up. `auto` is
the default planner (the router over the reader's clauses) where no LLM answers."""


@asynccontextmanager
async def _as_system(
    factory: PageFactory, ctx: EvalContext
) -> AsyncIterator[System[PageCase, Page]]:
    async with factory(ctx) as pages:

        async def call(case: PageCase) -> Page:
            return await pages.page(case.query)

        yield System(call=call, usage=pages.usage, description=pages.description)


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen page configurations over the page cases."""
    chosen = choose(CONFIGS, configs, ("rule",))
    path, cases = load_cases(ctx, DEFAULT_DATA, PageCase)
    unanswerable = unanswerable_intents(ctx, cases)
    results = await run_configs(
        cases,
        {name: partial(_as_system, factory, ctx) for name, factory in chosen.items()},
        scorer(unanswerable),
        METRICS,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    return build_report(
        ctx, suite="page", dataset=path.name, metrics=METRICS, primary="module_ndcg",
        configs=results,
        params={"path": str(path), "cases": len(cases), "unanswerable_in_catalog": {
            c.id: [c.intents[i] for i in sorted(unanswerable[c.id])]
            for c in cases if c.id in unanswerable
        }},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="page",
    summary="multi-intent pages: module selection P/R/F1, module order nDCG, top module",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("rule",),
)
