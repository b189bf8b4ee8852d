"""The constraints suite: relevance that follows from the catalog's own fields.

Each case (`evals/data/constraints.jsonl`) names a vertical, topic predicates (any one
puts an item on topic) and constraint predicates (all must hold), as data. Every item
of the catalog is judged once to make graded qrels: gain 2 on topic with every
constraint met, 1 on topic only, 0 otherwise; so no human labels are needed and nDCG
sees the whole catalog. The top 10 items a configuration returns are scored:

- `constraint_p@10`: the share of returned items meeting every constraint;
- `on_topic_p@10`: the share on topic;
- `ndcg@10`: against the graded qrels.
"""

from __future__ import annotations

import asyncio
import operator
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from agent.models import ResultItem
from evals.metrics import per_query, ranking_to_run
from evals.report import CaseResult, Report
from evals.runner import Observation, System, base_result, run_configs
from evals.suites import DATA_DIR, EvalContext, SuiteSpec, build_report, choose, load_cases
from evals.suites.page import CONFIGS as PAGE_CONFIGS
from evals.suites.page import PageFactory
from tools.catalog import VERTICALS, Vertical

if TYPE_CHECKING:
    from tools.index import CatalogIndex

METRICS = ["constraint_p@10", "on_topic_p@10", "ndcg@10"]
CUTOFF = 10
ItemField = Literal[
    "title", "description", "category", "brand", "colors", "availability", "price", "rating",
    "diet", "total_time_min", "genre", "duration_s", "year", "creator",
]  # fmt: skip
Op = Literal["contains", "eq", "in", "lt", "lte", "gt", "gte", "between"]
NUMERIC_OPS = frozenset({"lt", "lte", "gt", "gte", "between"})
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge,
}  # fmt: skip
Mode = Literal["hybrid", "lexical", "dense"]
Fusion = Literal["rrf", "normalized"]
SUITE_DEFAULTS = ("page", "bm25", "dense", "hybrid-rrf")


class Predicate(BaseModel):
    """One test on one field of a result item, e.g. `price lte 150` or `genre eq comedy`.

    Text tests are case-insensitive; on a list field (diet, genre, colors) they pass when
    any element passes. `contains` matches at a word start ("soup" matches "soups"), and
    with a list of words passes when any of them matches.
    A missing value fails every test.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: ItemField
    op: Op
    value: str | float | list[str] | list[float]

    @model_validator(mode="after")
    def _check_value(self) -> Self:
        if self.op == "between":
            if not (isinstance(self.value, list) and len(self.value) == 2):
                raise ValueError(f"{self.field} between needs [low, high], got {self.value!r}")
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{self.field} in needs a non-empty list, got {self.value!r}")
        elif self.op in NUMERIC_OPS and not isinstance(self.value, int | float):
            raise ValueError(f"{self.field} {self.op} needs a number, got {self.value!r}")
        elif self.op == "eq" and isinstance(self.value, list):
            raise ValueError(f"{self.field} eq needs one value; use 'in' for a list")
        return self

    def holds(self, item: ResultItem) -> bool:
        raw = getattr(item, self.field)
        values = raw if isinstance(raw, list) else [raw]
        return any(self._test(v) for v in values if v is not None)

    def _test(self, actual: object) -> bool:
        wanted = self.value if isinstance(self.value, list) else [self.value]
        if self.op in NUMERIC_OPS:
            if not isinstance(actual, int | float) or isinstance(actual, bool):
                return False
            bounds = [float(w) for w in wanted]
            if self.op == "between":
                return bounds[0] <= actual <= bounds[1]
            return COMPARE[self.op](actual, bounds[0])
        text = str(actual).strip().lower()
        if self.op == "contains":
            return any(re.search(rf"\b{re.escape(str(w).lower())}", text) for w in wanted)
        return any(text == str(w).strip().lower() for w in wanted)


class ConstraintCase(BaseModel):
    """A query whose answer is defined by item fields."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    vertical: Vertical
    topic: list[Predicate] = Field(min_length=1, description="Any one puts an item on topic.")
    constraints: list[Predicate] = Field(min_length=1, description="All must hold.")
    note: str = ""

    def on_topic(self, item: ResultItem) -> bool:
        return item.vertical == self.vertical and any(p.holds(item) for p in self.topic)

    def satisfied(self, item: ResultItem) -> bool:
        return item.vertical == self.vertical and all(p.holds(item) for p in self.constraints)

    def gain(self, item: ResultItem) -> int:
        """2: on topic and every constraint met; 1: on topic only; 0: otherwise."""
        if not self.on_topic(item):
            return 0
        return 2 if self.satisfied(item) else 1


def item_key(item: ResultItem) -> str:
    return f"{item.vertical}:{item.id}"


def judge_catalog(
    cases: Sequence[ConstraintCase], items: Iterable[ResultItem]
) -> dict[str, dict[str, int]]:
    """Graded qrels `{case id: {vertical:id: gain}}` over every catalog item (gain > 0 only)."""
    qrels: dict[str, dict[str, int]] = {case.id: {} for case in cases}
    for item in items:
        for case in cases:
            gain = case.gain(item)
            if gain:
                qrels[case.id][item_key(item)] = gain
    return qrels


def score_items(case: ConstraintCase, ranked: Sequence[ResultItem]) -> dict[str, float]:
    """Precision-style metrics over the top 10 returned items (0 when none came back)."""
    top = list(ranked)[:CUTOFF]
    if not top:
        return {"constraint_p@10": 0.0, "on_topic_p@10": 0.0}
    return {
        "constraint_p@10": sum(case.satisfied(i) for i in top) / len(top),
        "on_topic_p@10": sum(case.on_topic(i) for i in top) / len(top),
    }


def score_constraints(
    qrels: dict[str, dict[str, int]],
) -> Callable[[Sequence[Observation[ConstraintCase, list[ResultItem]]]], list[CaseResult]]:
    """A scorer against the judged catalog; failed cases score 0."""

    def score(
        observations: Sequence[Observation[ConstraintCase, list[ResultItem]]],
    ) -> list[CaseResult]:
        run = {
            o.case.id: ranking_to_run([item_key(i) for i in o.output[:CUTOFF]])
            for o in observations
            if o.output
        }
        ndcg = per_query({o.case.id: qrels[o.case.id] for o in observations}, run)
        results = []
        for obs in observations:
            result = base_result(obs, obs.case.query)
            ranked = obs.output or []
            result.metrics = score_items(obs.case, ranked)
            result.metrics["ndcg@10"] = ndcg[obs.case.id]["ndcg@10"]
            result.detail = {
                "returned": len(ranked),
                "judged_relevant": sum(1 for g in qrels[obs.case.id].values() if g == 2),
                "top": [f"{obs.case.gain(i)} {i.title[:60]}" for i in ranked[:CUTOFF]],
            }
            results.append(result)
        return results

    return score


ConstraintSystem = System[ConstraintCase, list[ResultItem]]
ConstraintFactory = Callable[[EvalContext], AbstractAsyncContextManager[ConstraintSystem]]
DEFAULT_DATA = DATA_DIR / "constraints.jsonl"


def catalog_items(index: CatalogIndex) -> Iterator[ResultItem]:
    """Every indexed item of every vertical, as the page shows it."""
    for vertical in VERTICALS:
        total = index.count(vertical)
        if total:
            for hit in index.search(vertical, "", None, k=total):
                yield ResultItem.from_hit(hit)


def text_only(mode: Mode, fusion: Fusion = "rrf") -> ConstraintFactory:
    """Search the case's vertical with the query text alone: what retrieval gets unaided."""

    @asynccontextmanager
    async def factory(ctx: EvalContext) -> AsyncIterator[ConstraintSystem]:
        from agent.deps import open_index

        index = open_index(ctx.settings)

        async def call(case: ConstraintCase) -> list[ResultItem]:
            hits = await asyncio.to_thread(
                index.search, case.vertical, case.query, None, k=CUTOFF, mode=mode,
                fusion=fusion, candidates=ctx.settings.candidates, rrf_k=ctx.settings.rrf_k,
            )  # fmt: skip
            return [ResultItem.from_hit(h) for h in hits]

        try:
            yield System(call=call, description=f"CatalogIndex {mode}, text only, no filters")
        finally:
            index.close()

    return factory


def from_pages(factory: PageFactory) -> ConstraintFactory:
    """Judge the items of a whole page, module by module in page order."""

    @asynccontextmanager
    async def wrapped(ctx: EvalContext) -> AsyncIterator[ConstraintSystem]:
        async with factory(ctx) as pages:

            async def call(case: ConstraintCase) -> list[ResultItem]:
                page = await pages.page(case.query)
                seen: dict[str, ResultItem] = {}
                for module in page.modules:
                    for item in module.items:
                        seen.setdefault(item_key(item), item)
                return list(seen.values())

            yield System(call=call, usage=pages.usage, description=pages.description)

    return wrapped


CONFIGS: dict[str, ConstraintFactory] = {
    "page": from_pages(PAGE_CONFIGS["rule"]),
    "page-auto": from_pages(PAGE_CONFIGS["auto"]),
    "page-hybrid": from_pages(PAGE_CONFIGS["hybrid"]),
    "bm25": text_only("lexical"),
    "dense": text_only("dense"),
    "hybrid-rrf": text_only("hybrid", "rrf"),
}
"""Configurations by name; page configurations of other planners are added here."""


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Judge the starter catalog for every case, then score each configuration."""
    from agent.deps import open_index

    chosen = choose(CONFIGS, configs, SUITE_DEFAULTS)
    path, cases = load_cases(ctx, DEFAULT_DATA, ConstraintCase)
    index = open_index(ctx.settings)
    try:
        qrels = judge_catalog(cases, catalog_items(index))
    finally:
        index.close()
    empty = [c.id for c in cases if not any(g == 2 for g in qrels[c.id].values())]
    if empty:
        ctx.console.print(f"[yellow]no catalog item meets every constraint of {empty}[/]")
    results = await run_configs(
        cases,
        {name: partial(factory, ctx) for name, factory in chosen.items()},
        score_constraints(qrels),
        METRICS,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    unsatisfiable: list[JsonValue] = list(empty)
    params: dict[str, JsonValue] = {"path": str(path), "cases": len(cases)}
    return build_report(
        ctx, suite="constraints", dataset=path.name, metrics=METRICS, primary="ndcg@10",
        configs=results, params=params | {"unsatisfiable": unsatisfiable},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="constraints",
    summary="catalog-grounded queries: constraint precision@10, on-topic precision, nDCG@10",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=SUITE_DEFAULTS,
)
