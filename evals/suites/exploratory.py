"""The exploratory suite: does a broad plan, occasion or activity open into a page of its aspects?

Cases (`evals/data/exploratory.jsonl`) are broad intents ("burger night", "first
camping trip", "a week of meal prep") of four kinds (occasion, season, activity,
plan), common or rarer, each with the aspects a good page would show, per vertical,
written by reading the starter catalog so that every aspect can be answered there.
An aspect carries `accept` words; a module covers the aspect when it is of the
aspect's vertical and at least 2 of its first 5 items are on topic for those words
(`evals.topic`: title and category, word boundaries, plural-tolerant). Every intent
runs through the engine as `POST /v1/search` runs it. Scores:

- `aspect_coverage`: the share of expected aspects some module covers (also split by
  rarity: `aspect_coverage_common`, `aspect_coverage_rare`);
- `pages_2plus`: the share of pages with 2 or more modules;
- `modules_no_aspect`: over every module shown, the share covering no expected aspect;
- `empty`: the share of pages with no module at all.

Configurations: `auto` (the configured planner, the LLM where it answers) and
`fallback` (the rule planner: what a page is without the LLM). Only the `dev` half is
scored unless `--split heldout` (or `all`) is given.
Run with `tessera eval exploratory --config fallback`.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import mean
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.models import Module, Page
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

METRICS = [
    "aspect_coverage", "aspect_coverage_common", "aspect_coverage_rare",
    "pages_2plus", "modules_no_aspect", "empty",
]  # fmt: skip
DEFAULT_DATA = DATA_DIR / "exploratory.jsonl"
FIRST = 5
ON_TOPIC_NEEDED = 2


class Aspect(BaseModel):
    """One part of a broad intent, answerable in one vertical."""

    model_config = ConfigDict(extra="forbid")

    vertical: Vertical
    name: str = Field(min_length=1)
    accept: list[str] = Field(min_length=1, description="Words that put an item on topic.")


class ExploratoryCase(BaseModel):
    """A broad intent and the aspects its page should open into."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    intent: str = Field(min_length=1)
    kind: Literal["occasion", "season", "activity", "plan"]
    rarity: Literal["common", "rare"]
    aspects: list[Aspect] = Field(min_length=1)
    split: Literal["dev", "heldout"]


def covers(module: Module, aspect: Aspect) -> bool:
    """Whether the module answers the aspect: its vertical, 2 of its first 5 on topic."""
    return (
        module.vertical == aspect.vertical
        and on_topic_count(module.items, aspect.accept, FIRST) >= ON_TOPIC_NEEDED
    )


def score_page(case: ExploratoryCase, page: Page | None) -> dict[str, float]:
    """The case's metrics; `modules_no_aspect` is left out of a page with no module, and
    coverage is also given under the case's rarity."""
    modules = page.modules if page is not None else []
    covered = [a for a in case.aspects if any(covers(m, a) for m in modules)]
    coverage = len(covered) / len(case.aspects)
    out = {
        "aspect_coverage": coverage,
        f"aspect_coverage_{case.rarity}": coverage,
        "pages_2plus": float(len(modules) >= 2),
        "empty": float(not modules),
    }
    if modules:
        idle = [m for m in modules if not any(covers(m, a) for a in case.aspects)]
        out["modules_no_aspect"] = len(idle) / len(modules)
    return out


def score_pages(observations: Sequence[Observation[ExploratoryCase, Page]]) -> list[CaseResult]:
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.intent)
        result.metrics = score_page(obs.case, obs.output)
        modules = obs.output.modules if obs.output is not None else []
        result.detail = {
            "modules_shown": len(modules),
            "modules": [f"{m.vertical}: {m.title}" for m in modules],
            "covered": [
                f"{a.vertical}: {a.name}"
                for a in obs.case.aspects
                if any(covers(m, a) for m in modules)
            ],
            "missed": [
                f"{a.vertical}: {a.name}"
                for a in obs.case.aspects
                if not any(covers(m, a) for m in modules)
            ],
        }
        results.append(result)
    return results


def summarise(results: Sequence[CaseResult]) -> dict[str, float]:
    """Coverage by rarity, and `modules_no_aspect` over every module shown (not per page)."""
    out: dict[str, float] = {}
    for key in ("aspect_coverage_common", "aspect_coverage_rare"):
        values = [r.metrics[key] for r in results if key in r.metrics]
        out[key] = mean(values) if values else 0.0
    shown = [r for r in results if "modules_no_aspect" in r.metrics]
    total = sum(int(str(r.detail["modules_shown"])) for r in shown)
    idle = sum(r.metrics["modules_no_aspect"] * int(str(r.detail["modules_shown"])) for r in shown)
    out["modules_no_aspect"] = idle / total if total else 0.0
    return out


def _turns(case: ExploratoryCase) -> list[str]:
    return [case.intent]


CONFIGS: dict[str, ServedFactory[ExploratoryCase]] = {
    "auto": served(None, _turns),
    "fallback": served("rule", _turns),
}
"""`auto`: the configured planner with the LLM where it answers; `fallback`: no LLM."""


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen configurations over the chosen split of the intents."""
    path, cases, results = await run_served(
        ctx,
        configs,
        CONFIGS,
        ("auto", "fallback"),
        DEFAULT_DATA,
        ExploratoryCase,
        score_pages,
        METRICS,
    )
    for config in results:
        config.summary |= summarise(config.cases)
    rarity = {r: sum(c.rarity == r for c in cases) for r in ("common", "rare")}
    return build_report(
        ctx, suite="exploratory", dataset=path.name, metrics=METRICS,
        primary="aspect_coverage", configs=results,
        params={"path": str(path), "split": ctx.split or "dev", "cases": len(cases), **rarity},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="exploratory",
    summary="broad intents: aspect coverage, pages with 2+ modules, modules covering no aspect",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=("auto", "fallback"),
)
