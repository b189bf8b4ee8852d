"""Node `compose`: turn each sub-query's hits into a titled module, deduplicated."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Module, ResultItem, ToolResult
from agent.state import State
from agent.trace import TraceStep
from agent.understand.titles import title_for
from tools.contract import Hit, SubQuery
from tools.terms import CatalogTerms

_KINDS = {"ideas": "Ideas and recipes", "shopping": "Products", "video": "Films and videos"}


def template_title(sq: SubQuery, terms: CatalogTerms | None = None) -> str:
    """A short title from the sub-query: 'Shop rattan headboard · under $200'."""
    return title_for(sq, terms)


def reason_for(sq: SubQuery, within_bounds: str | None = None, ladder: str | None = None) -> str:
    """Why the module is on the page, in a shopper's words: what it matches, and what
    was widened or kept when exact matches were few; a relaxation ladder step says what
    it did instead. How the vertical was chosen is the trace's business, never the
    reader's."""
    if ladder:
        return (
            f"{ladder}. {within_bounds[0].upper()}{within_bounds[1:]}" if within_bounds else ladder
        )
    asked = sq.note or sq.text or sq.filters.describe()
    kind = _KINDS.get(sq.vertical, "Results")
    why = f"{kind} for \u201c{asked}\u201d" if asked else kind
    if sq.relaxed:
        why += f". Few exact matches, so we widened the search: {'; '.join(sq.relaxed)}"
    if within_bounds:
        why += f". {within_bounds[0].upper()}{within_bounds[1:]}"
    return why


def compose(
    results: list[ToolResult],
    k: int,
    seen: set[tuple[str, str]] | None = None,
    terms: CatalogTerms | None = None,
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
                title=template_title(sq, terms),
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


async def compose_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Build modules from the assessed results, plus look-alikes for an image query."""
    started = time.perf_counter()
    terms = await asyncio.to_thread(runtime.context.index.terms)
    k = state.request.k * state.overfetch
    looks = image_module(state.image_hits, k, set()) if state.image_hits else None
    seen = {(i.vertical, i.id) for i in looks.items} if looks else set()
    modules = compose(state.assessed, k, seen, terms)
    if looks is not None:
        modules.insert(0, looks)
    step = TraceStep(
        name="composed",
        detail=f"{len(modules)} module(s)",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"modules": modules, "steps": [step]}
