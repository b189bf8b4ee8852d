"""The understanding suite: requests phrased the way people type them, judged by their page.

Cases (`evals/data/understanding/*.jsonl`, one object a line) carry the request, the
turns sent before it in the same thread, the vertical the page should lead with (null
when the catalog cannot answer), the `accept` words that put an item on topic (written
by reading the catalog, matched by `evals.topic`), optional bounds and a split. Every
case runs through the engine as `POST /v1/search` runs it; with a thread, the earlier
turns first, and the last turn's page is scored:

- `answered`: the lead module is of the case's vertical and at least 3 of its first 5
  items are on topic (over answerable cases);
- `empty`: the page has no module at all (over answerable cases);
- `bound_kept`: every item of the lead module meets the case's bounds, a missing value
  failing (over cases with bounds whose page has a module);
- `junk`: the page shows a module (over unanswerable cases);
- `routing_f1`: macro F1 of the lead module's vertical (no module counting as the class
  "none") against the expected one, over the classes the cases expect.

Only the `dev` half is scored unless `--split heldout` (or `all`) is given.
Run with `tessera eval understanding --dataset evals/data/understanding/FILE.jsonl`.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.models import Page, ResultItem
from evals.metrics import set_scores
from evals.report import CaseResult, Report
from evals.runner import Observation, base_result
from evals.suites import (
    DATA_DIR,
    EvalContext,
    SuiteSpec,
    build_report,
)
from evals.suites.served import ServedFactory, run_served, served
from evals.topic import on_topic_count
from tools.catalog import Vertical
from tools.filters import Filters

METRICS = ["answered", "empty", "bound_kept", "junk", "routing_f1"]
DEFAULT_DATA = DATA_DIR / "understanding" / "paraphrase.jsonl"
ON_TOPIC_NEEDED = 3
FIRST = 5
NONE = "none"
"""The lead 'vertical' of a page with no module."""


class UnderstandingCase(BaseModel):
    """A request as a person types it, and what its page should lead with."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    thread: list[str] = Field(default_factory=list, description="Turns sent first.")
    vertical: Vertical | None = Field(description="Lead vertical; null: nothing answers.")
    accept: list[str] = Field(default_factory=list, description="On-topic words.")
    bound: Filters | None = Field(default=None, description="What lead items must meet.")
    split: Literal["dev", "heldout"]
    kind: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _answerable_has_words(self) -> Self:
        if self.vertical is not None and not self.accept:
            raise ValueError(f"{self.id}: an answerable case needs accept words")
        return self


def meets(item: ResultItem, bound: Filters) -> bool:
    """Whether the item meets every bound; a value the item lacks fails."""
    checks: list[bool] = []
    if bound.price_min is not None or bound.price_max is not None:
        price = item.price
        checks.append(price is not None and (bound.price_min or 0) <= price <= (
            bound.price_max if bound.price_max is not None else float("inf")))  # fmt: skip
    if bound.colors:
        checks.append(bool({c.lower() for c in bound.colors} & {c.lower() for c in item.colors}))
    if bound.brands:
        checks.append((item.brand or "").lower() in {b.lower() for b in bound.brands})
    if bound.category:
        where = " ".join([item.category or "", *item.genre]).lower()
        checks.append(bound.category.lower() in where)
    if bound.availability:
        checks.append(item.availability == bound.availability)
    if bound.duration_min_s is not None:
        checks.append(item.duration_s is not None and item.duration_s >= bound.duration_min_s)
    if bound.duration_max_s is not None:
        checks.append(item.duration_s is not None and item.duration_s <= bound.duration_max_s)
    if bound.year_min is not None:
        checks.append(item.year is not None and item.year >= bound.year_min)
    if bound.year_max is not None:
        checks.append(item.year is not None and item.year <= bound.year_max)
    if bound.total_time_max_min is not None:
        minutes = item.total_time_min
        checks.append(minutes is not None and minutes <= bound.total_time_max_min)
    if bound.diet:
        checks.append({d.lower() for d in bound.diet} <= {d.lower() for d in item.diet})
    return all(checks)


def score_page(case: UnderstandingCase, page: Page | None) -> dict[str, float]:
    """The case's metrics; a metric that does not apply to the case is left out."""
    modules = page.modules if page is not None else []
    lead = modules[0] if modules else None
    got = lead.vertical if lead is not None else NONE
    out = {"routing_f1": float(got == (case.vertical or NONE))}
    if case.vertical is None:
        return out | {"junk": float(bool(modules))}
    on_topic = on_topic_count(lead.items, case.accept, FIRST) if lead is not None else 0
    out["answered"] = float(got == case.vertical and on_topic >= ON_TOPIC_NEEDED)
    out["empty"] = float(not modules)
    if case.bound is not None and lead is not None:
        out["bound_kept"] = float(all(meets(item, case.bound) for item in lead.items))
    return out


def routing_f1(expected: Sequence[str], got: Sequence[str]) -> float:
    """Macro F1 of the lead vertical over the classes the cases expect."""
    scores = []
    for label in sorted(set(expected)):
        want = {i for i, e in enumerate(expected) if e == label}
        have = {i for i, g in enumerate(got) if g == label}
        scores.append(set_scores([str(i) for i in have], [str(i) for i in want])["f1"])
    return mean(scores) if scores else 0.0


def score_pages(observations: Sequence[Observation[UnderstandingCase, Page]]) -> list[CaseResult]:
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.query)
        result.metrics = score_page(obs.case, obs.output)
        if obs.output is not None:
            result.detail = {
                "lead": obs.output.modules[0].vertical if obs.output.modules else NONE,
                "modules": [f"{m.vertical}: {m.title}" for m in obs.output.modules],
                "lead_items": [i.title for i in obs.output.modules[0].items[:FIRST]]
                if obs.output.modules
                else [],
                "planner": obs.output.trace.planner,
            }
        results.append(result)
    return results


def summarise(
    results: Sequence[CaseResult], cases: Sequence[UnderstandingCase]
) -> dict[str, float]:
    """Each metric averaged over the cases it applies to; routing F1 over all cases."""
    out = {m: mean(vals) if (vals := [r.metrics[m] for r in results if m in r.metrics]) else 0.0
           for m in METRICS}  # fmt: skip
    by_id = {c.id: c for c in cases}
    expected = [by_id[r.id].vertical or NONE for r in results]
    got = [str(r.detail.get("lead", "error")) for r in results]
    out["routing_f1"] = routing_f1(expected, got)
    return out


def _turns(case: UnderstandingCase) -> list[str]:
    return [*case.thread, case.query]


CONFIGS: dict[str, ServedFactory[UnderstandingCase]] = {
    "rule": served("rule", _turns),
    "auto": served(None, _turns),
}
"""`rule`: the rule planner. `auto`: the configured planner (by default the router, with
the LLM where it answers), exactly as the web app runs."""


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen configurations over the chosen split of the cases."""
    path, cases, results = await run_served(
        ctx,
        configs,
        CONFIGS,
        ("rule", "auto"),
        DEFAULT_DATA,
        UnderstandingCase,
        score_pages,
        METRICS,
    )
    for config in results:
        config.summary |= summarise(config.cases, cases)
    return build_report(
        ctx, suite="understanding", dataset=path.name, metrics=METRICS, primary="answered",
        configs=results,
        params={"path": str(path), "split": ctx.split or "dev", "cases": len(cases)},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="understanding",
    summary="user-phrased requests: answered, empty, bounds kept, junk, lead-vertical F1",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("rule", "auto"),
)
