"""Node `assess`: a quality gate that repairs empty or weak sub-queries.

A sub-query is weak when it found nothing, or when the relevance gate finds its first
items unlikely to answer it (judged by meaning: `agent/quality/relevance.py`). A weak
sub-query climbs the relaxation ladder (`agent/nodes/ladder.py`): its core words
without modifiers and occasions, then meaning only, then the nearest category of its
vertical, each under the request's stated bounds and named in the module's reason.
Only when no step is near in meaning are its filters relaxed (a category guess first,
then a wider price, then brand, colour and the rest), at most `MAX_REPAIRS` times,
within the deadline. What was relaxed is recorded on the sub-query so the module can
say so.

A bound the request stated (a price, a length, a year, a diet, a colour) is a hard
constraint: an item beyond it fails the request. A category is only the planner's guess
and is relaxed freely. A stated bound is kept whenever the items inside it are near in
meaning to the sub-query (the best of the first items' cosine reaches the gate's
floor for the vertical, a closeness that searches judged unanswered rarely reach): they are
the closest answers the bounds allow ("usb headset under 25" keeps the $13 headsets
rather than a $37 one that says "USB"), and the result says so. Only when nothing inside
the bounds is near in meaning is a bound widened, and the relaxed phrase says plainly
that nothing relevant met it.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.llm.budget import request_budget, usage
from agent.llm.client import Budget
from agent.llm.writer import rewrite_query
from agent.models import ToolResult
from agent.nodes.ladder import climb
from agent.nodes.tools import call_tool
from agent.quality.relevance import JUDGED, load_gate, query_terms, relevance
from agent.state import State
from agent.trace import TraceStep
from agent.understand.model import Refinement
from tools.contract import SubQuery
from tools.filters import Filters

MAX_REPAIRS = 3
_ORDER = (
    "category",
    "price",
    "availability",
    "brands",
    "total_time_max_min",
    "duration_max_s",
    "duration_min_s",
    "year",
    "diet",
    "colors",
)


_LOCKS = {
    "cheaper": ("price",),
    "pricier": ("price",),
    "shorter": ("duration_max_s", "total_time_max_min"),
}


def locked_fields(refinement: Refinement | None) -> frozenset[str]:
    """Filters a follow-up just asked for: relaxing them would undo the follow-up."""
    if refinement is None:
        return frozenset()
    fields = set(_LOCKS.get(refinement.kind, ()))
    for name in refinement.filters.model_dump(exclude_defaults=True):
        fields.add("price" if name.startswith("price") else name)
        fields.add("year" if name.startswith("year") else name)
    return frozenset(fields)


def _unmet(filters: Filters, *names: str) -> str:
    only = Filters.model_validate({n: getattr(filters, n) for n in names})
    return f"nothing relevant {only.describe()}"


def relax(filters: Filters, locked: frozenset[str] = frozenset()) -> tuple[Filters, str] | None:
    """The next, less strict filters and a phrase saying what changed; None if none left.
    A stated bound's phrase says that nothing relevant met it ('nothing relevant under
    $25, so under $43.75')."""
    for name in _ORDER:
        if name in locked:
            continue
        if name == "price":
            if filters.price_max is not None:
                wider = round(filters.price_max * 1.75, 2)
                return (
                    filters.model_copy(update={"price_max": wider}),
                    f"{_unmet(filters, 'price_max')}, so under ${wider:g}",
                )
            if filters.price_min is not None:
                return filters.without("price_min"), f"{_unmet(filters, 'price_min')}, so any price"
            continue
        if name == "year":
            if filters.year_min is not None or filters.year_max is not None:
                unmet = _unmet(filters, "year_min", "year_max")
                return filters.without("year_min", "year_max"), f"{unmet}, so any year"
            continue
        value = getattr(filters, name)
        if value not in (None, ()):
            if name == "category":
                return filters.without(name), f"dropped category {value}"
            return filters.without(name), f"{_unmet(filters, name)}, so without it"
    return None


def is_weak(result: ToolResult) -> bool:
    """Nothing found, or first items the relevance gate finds unlikely to be relevant.
    Words that only say who or when it is for ('a war movie for the weekend') leave the
    filters to answer it."""
    if not result.hits:
        return True
    if not query_terms(result.subquery.text):
        return False
    gate = load_gate()
    return relevance(result.subquery.text, result.hits, gate) < gate.threshold


def closeness(result: ToolResult) -> float | None:
    """The best cosine to the sub-query among the first items; None when not read."""
    known = [h.similarity for h in result.hits[:JUDGED] if h.similarity is not None]
    return max(known) if known else None


def within_bounds(bounded: ToolResult) -> ToolResult | None:
    """`bounded`, marked as the closest in-bound items, when they are near in meaning to
    the sub-query (past the gate's similarity floor); None when nothing in-bound is."""
    inside = closeness(bounded)
    if inside is None or inside < load_gate().floor(bounded.subquery.vertical):
        return None
    stated = bounded.subquery.filters.describe() or "the stated bounds"
    phrase = f"kept to {stated}: no item there matches every word, these are the closest"
    return bounded.model_copy(update={"within_bounds": phrase})


async def repair(
    deps: Deps, result: ToolResult, k: int, deadline: float, locked: frozenset[str]
) -> ToolResult:
    """Relax filters until the sub-query has enough hits, or nothing is left to relax;
    a stated bound stays whenever the items inside it are near in meaning (`within_bounds`)."""
    current = bounded = result
    sq = result.subquery
    for _ in range(MAX_REPAIRS):
        if not is_weak(current) or time.monotonic() > deadline:
            break
        step = relax(sq.filters, locked)
        if step is None:
            break
        filters, phrase = step
        guess_only = filters.model_copy(update={"category": sq.filters.category}) == sq.filters
        sq = SubQuery.model_validate(
            sq.model_dump() | {"filters": filters, "relaxed": [*sq.relaxed, phrase]}
        )
        retried = await call_tool(deps, sq, k)
        if retried.hits:
            current = retried
            if guess_only and bounded is result:
                bounded = retried
    if current is not bounded and bounded.hits:
        return within_bounds(bounded) or current
    return current


async def assess_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Repair weak results; results are replaced in plan order."""
    started = time.perf_counter()
    deps = runtime.context
    deadline = time.monotonic() + deps.settings.tool_deadline_s
    order = {sq.id: i for i, sq in enumerate(state.plan.subqueries)} if state.plan else {}
    results = sorted(state.results, key=lambda r: order.get(r.subquery.id, 99))
    refinement = state.understood.refinement if state.understood else None
    locked = locked_fields(refinement)
    repaired: list[ToolResult] = []
    notes: list[str] = []
    budget = request_budget(deps.settings, state)
    k = state.request.k * state.overfetch
    for result in results:
        if result.error is None and is_weak(result):
            climbed = await climb(deps, result, k)
            if climbed is not None:
                result = climbed
            elif not result.subquery.filters.is_empty():
                result = await repair(deps, result, k, deadline, locked)
        if result.error is None and is_weak(result) and deps.llm and deps.settings.llm_rewrites:
            result = await rewrite(deps, result, k, state.request.text, budget)
        if result.subquery.relaxed:
            notes.append(f"{result.subquery.id}: {'; '.join(result.subquery.relaxed)}")
        if result.within_bounds:
            notes.append(f"{result.subquery.id}: {result.within_bounds}")
        if result.ladder:
            notes.append(f"{result.subquery.id}: ladder: {result.ladder}")
        repaired.append(result)
    step = TraceStep(
        name="assessed",
        detail="; ".join(notes) or "all sub-queries had enough results",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"assessed": repaired, "steps": [step], "llm_calls": usage(budget)}


async def rewrite(
    deps: Deps, result: ToolResult, k: int, request: str, budget: Budget
) -> ToolResult:
    """Ask the LLM for broader words for a sub-query that still matches nothing; keep the
    rewrite only if it finds lexical matches."""
    assert deps.llm is not None
    sq = result.subquery
    problem = "no results" if not result.hits else "no result matches its words"
    text = await rewrite_query(deps.llm, request, sq.text, sq.vertical, problem, budget)
    if text is None:
        return result
    phrase = f"searched for \u201c{text}\u201d instead of \u201c{sq.text}\u201d"
    retried = await call_tool(
        deps, sq.model_copy(update={"text": text, "relaxed": [*sq.relaxed, phrase]}), k
    )
    return retried if retried.hits and not is_weak(retried) else result
