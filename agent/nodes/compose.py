"""Node `compose`: turn each sub-query's hits into a titled module, deduplicated."""

from __future__ import annotations

import time
from typing import Any

from agent.models import Module, ResultItem, ToolResult
from agent.state import State
from agent.trace import TraceStep
from agent.understand.titles import title_for
from tools.contract import Hit, SubQuery


def template_title(sq: SubQuery) -> str:
    """A short title from the sub-query: 'Shop rattan headboard · under $200'."""
    return title_for(sq)


def reason_for(sq: SubQuery, within_bounds: str | None = None, ladder: str | None = None) -> str:
    """Why the module is on the page, including any relaxed filter or kept bound; a
    relaxation ladder step says what it did instead."""
    if ladder:
        return f"{ladder}; {within_bounds}" if within_bounds else ladder
    asked = sq.note or sq.text or sq.filters.describe() or sq.vertical
    if sq.weight >= 1.0:
        why = f"You asked for \u201c{asked}\u201d"
    else:
        why = f"No vertical named for \u201c{asked}\u201d: {sq.vertical} matches"
    if sq.relaxed:
        why += f"; too few exact matches, so relaxed: {'; '.join(sq.relaxed)}"
    if within_bounds:
        why += f"; {within_bounds}"
    return why


def compose(
    results: list[ToolResult], k: int, seen: set[tuple[str, str]] | None = None
) -> list[Module]:
    """One module per sub-query with hits; an item shows once, in its first module."""
    seen = set() if seen is None else seen
    modules: list[Module] = []
    for result in results:
        items: list[ResultItem] = []
        for hit in result.hits:
            key = (hit.item.vertical, hit.item.id)
            if key in seen:
                continue
            seen.add(key)
            items.append(ResultItem.from_hit(hit))
            if len(items) >= k:
                break
        if not items:
            continue
        sq = result.subquery
        modules.append(
            Module(
                id=sq.id,
                title=template_title(sq),
                vertical=sq.vertical,
                reason=reason_for(sq, result.within_bounds, result.ladder),
                subquery=sq.text,
                relaxed=sq.relaxed,
                items=items,
            )
        )
    return modules


def image_module(hits: list[Hit], k: int, seen: set[tuple[str, str]]) -> Module | None:
    """The "Visually similar" module, from look-alike hits not shown elsewhere."""
    items = [ResultItem.from_hit(h) for h in hits if (h.item.vertical, h.item.id) not in seen]
    if not items:
        return None
    return Module(
        id="img",
        title="Visually similar",
        vertical="image",
        reason="Catalog items whose pictures look like the one you gave",
        items=items[:k],
    )


async def compose_node(state: State) -> dict[str, Any]:
    """Build modules from the assessed results, plus look-alikes for an image query."""
    started = time.perf_counter()
    k = state.request.k * state.overfetch
    looks = image_module(state.image_hits, k, set()) if state.image_hits else None
    seen = {(i.vertical, i.id) for i in looks.items} if looks else set()
    modules = compose(state.assessed, k, seen)
    if looks is not None:
        modules.insert(0, looks)
    step = TraceStep(
        name="composed",
        detail=f"{len(modules)} module(s)",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"modules": modules, "steps": [step]}
