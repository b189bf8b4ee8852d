"""Node `assess`: a quality gate that repairs empty or weak sub-queries.

A sub-query with fewer than `MIN_HITS` results is retried with its least
important filter relaxed (a category guess first, then a wider price, then
brand, colour and the rest), at most `MAX_REPAIRS` times, within the deadline.
What was relaxed is recorded on the sub-query so the module can say so.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import SubQuery, ToolResult, TraceStep
from agent.nodes.tools import call_tool
from agent.state import State
from tools.filters import Filters

MIN_HITS = 3
MAX_REPAIRS = 3
_ORDER = (
    "category", "price", "availability", "brands", "total_time_max_min", "duration_max_s",
    "duration_min_s", "year", "diet", "colors",
)


def relax(filters: Filters) -> tuple[Filters, str] | None:
    """The next, less strict filters and a phrase saying what changed; None if none left."""
    for name in _ORDER:
        if name == "price":
            if filters.price_max is not None:
                wider = round(filters.price_max * 1.75, 2)
                return (
                    filters.model_copy(update={"price_max": wider}),
                    f"under ${filters.price_max:g} -> under ${wider:g}",
                )
            if filters.price_min is not None:
                return filters.without("price_min"), f"dropped over ${filters.price_min:g}"
            continue
        if name == "year":
            if filters.year_min is not None or filters.year_max is not None:
                return filters.without("year_min", "year_max"), "any year"
            continue
        value = getattr(filters, name)
        if value not in (None, ()):
            shown = "/".join(value) if isinstance(value, tuple) else str(value)
            return filters.without(name), f"dropped {name.replace('_', ' ')} {shown}"
    return None


async def repair(deps: Deps, result: ToolResult, k: int, deadline: float) -> ToolResult:
    """Relax filters until the sub-query has enough hits, or nothing is left to relax."""
    current = result
    sq = result.subquery
    for _ in range(MAX_REPAIRS):
        if len(current.hits) >= MIN_HITS or time.monotonic() > deadline:
            break
        step = relax(sq.filters)
        if step is None:
            break
        filters, phrase = step
        sq = SubQuery.model_validate(
            sq.model_dump() | {"filters": filters, "relaxed": [*sq.relaxed, phrase]}
        )
        retried = await call_tool(deps, sq, k)
        if len(retried.hits) > len(current.hits):
            current = retried
    return current


async def assess_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Repair weak results; results are replaced in plan order."""
    started = time.perf_counter()
    deps = runtime.context
    deadline = time.monotonic() + deps.settings.tool_deadline_s
    order = {sq.id: i for i, sq in enumerate(state.plan.subqueries)} if state.plan else {}
    results = sorted(state.results, key=lambda r: order.get(r.subquery.id, 99))
    repaired: list[ToolResult] = []
    notes: list[str] = []
    for result in results:
        if result.error is None and len(result.hits) < MIN_HITS:
            fixed = await repair(deps, result, state.request.k, deadline)
            if fixed.subquery.relaxed:
                notes.append(f"{fixed.subquery.id}: {'; '.join(fixed.subquery.relaxed)}")
            result = fixed
        repaired.append(result)
    step = TraceStep(
        name="assessed",
        detail="; ".join(notes) or "all sub-queries had enough results",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"assessed": repaired, "steps": [step]}
