"""Node `explore`: a broad intent ("burger night") opens into a page of grounded aspects.

It runs after `rank`, so the modules that need no LLM are ranked (and, on a
stream, already shown) first. A request read as `exploratory`, or a `single`
one whose page came back empty, is opened: the LLM's aspects
(`agent/planning/expand.py`) are each searched in their vertical (the one the
router is sure of, when the model listed a thing to buy among recipes) and kept only
when the catalog grounds them (`agent/quality/aspect_ground.py`); without the
LLM, or when none of its aspects holds, a request framed as a plan ("...
night", "... weekend") shows the catalog's own groups near it instead
(`agent/planning/clusters.py`; a text the router could not place, or an empty
page, is not filled with them: nearness alone is no answer to a request for a
thing the catalog lacks, "baby stroller"). Each module is
streamed as it is made (a `module` custom event) and the page is re-ranked
with them. Everything waits at most until `TESSERA_EXPLORE_DEADLINE_S` after
the turn began; what was still running then is cut, and the trace says so,
beside every aspect kept or dropped and why.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Module
from agent.nodes.aspect_modules import ASPECTS_CARRY, emit, grounded
from agent.planning.aspects import Proposal
from agent.planning.clusters import cluster_modules, clusters, name_shares, near_items
from agent.planning.expand import proposals
from agent.planning.kinds import framed
from agent.quality.aspect_ground import MIN_ITEMS
from agent.state import State
from agent.trace import TraceStep

RESERVE_S = 0.5
"""Time kept back from the LLM for searching and grounding its aspects."""


def asked(state: State) -> str:
    """The request as searched: its spelling corrected when the reader corrected it, so
    the LLM, the titles and the closeness to the request use the words meant."""
    spelling = state.understood.spelling if state.understood is not None else None
    return spelling.corrected if spelling is not None else state.request.text


def why_explore(state: State) -> str | None:
    """Why this turn opens into aspects, or None when it does not."""
    if state.plan is None or state.image_key or not state.request.filters.is_empty():
        return None
    if state.kind == "exploratory":
        return "a plan or occasion"
    if state.kind == "single" and not state.modules:
        return "nothing matched closely"
    return None


def placed_by_router(deps: Deps, found: list[Proposal]) -> tuple[list[Proposal], list[str]]:
    """The kept proposals, each moved to the vertical the router is sure of when the model
    listed it under another ('office chair' among recipes), repeats dropped; and a line
    per move or repeat."""
    kept: list[Proposal] = []
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for p in found:
        if not p.kept:
            continue
        if deps.router is not None:
            routing = deps.router.route(p.text)
            if routing.confident and routing.best != p.vertical:
                lines.append(f"{p.vertical}/'{p.text}': searched in {routing.best} (router)")
                p = p.model_copy(update={"vertical": routing.best})
        key = (p.vertical, p.text.lower())
        if key in seen:
            lines.append(f"{p.vertical}/'{p.text}': dropped (repeats another aspect)")
            continue
        seen.add(key)
        kept.append(p)
    return kept, lines


def settle(
    literal: list[Module], aspects: list[Module]
) -> tuple[list[Module], list[Module], list[str]]:
    """A plan's page: when enough aspects hold they carry it and the modules of the plan's
    own words leave; otherwise those stay and an aspect showing fewer than `MIN_ITEMS`
    items they do not is merged into them. The modules kept, and a line per one that left."""
    if len(aspects) >= ASPECTS_CARRY:
        return (
            [],
            aspects,
            [f"'{m.title}': left the page (the plan's aspects carry it)" for m in literal],
        )
    shown = {(i.vertical, i.id): m.title for m in literal for i in m.items}
    kept: list[Module] = []
    lines: list[str] = []
    for module in aspects:
        fresh = [i for i in module.items if (i.vertical, i.id) not in shown]
        if len(fresh) < MIN_ITEMS:
            owners = [
                shown[(i.vertical, i.id)] for i in module.items if (i.vertical, i.id) in shown
            ]
            lines.append(f"'{module.title}': merged (repeats {max(set(owners), key=owners.count)})")
            continue
        kept.append(module.model_copy(update={"items": fresh}))
    return literal, kept, lines


async def explore_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Open a broad intent into grounded aspect modules, ranked into the page."""
    why = why_explore(state)
    if why is None:
        return {}
    started = time.perf_counter()
    deps = runtime.context
    begun = state.started_at or time.time()
    until = begun + deps.settings.explore_deadline_s
    request = asked(state)
    literal = list(state.modules)
    plan = state.kind == "exploratory"
    seen = {} if plan else {(i.vertical, i.id): m.title for m in literal for i in m.items}
    found, source, usage = await proposals(deps, request, until - time.time() - RESERVE_S)
    lines = [f"{p.vertical}/'{p.text}': dropped ({p.reason})" for p in found or [] if not p.kept]
    modules: list[Module] = []
    if found is not None:
        kept, moved = await asyncio.to_thread(placed_by_router, deps, found)
        modules, judged = await grounded(deps, request, state.request.k, kept, seen, until)
        lines += moved + judged
    if plan:
        literal, modules, notes = settle(literal, modules)
        lines += notes
        seen = {(i.vertical, i.id): m.title for m in [*literal, *modules] for i in m.items}
    framed_plan = plan and framed(request)
    if not modules and framed_plan and time.time() < until:
        near = await near_items(deps, request)
        groups = clusters(near, deps.settings.explore_group_similarity)
        shares = await asyncio.to_thread(name_shares, deps, request, groups)
        modules, notes = cluster_modules(request, groups, seen, state.request.k, shares)
        for module in modules:
            emit(module)
        source = (
            f"the catalog's groups ({source})"
            if found is None
            else f"{source}, none held: the catalog's groups"
        )
        lines += notes
    cut = any(line.endswith("cut at the deadline") for line in lines)
    detail = f"{why}: aspects from {source}; {len(modules)} module(s)"
    if cut:
        detail += f"; deadline {deps.settings.explore_deadline_s:g}s reached, shown what arrived"
    detail += " | " + "; ".join(lines) if lines else ""
    step = TraceStep(
        name="explored", detail=detail, elapsed_ms=(time.perf_counter() - started) * 1000
    )
    page = sorted([*literal, *modules], key=lambda m: -m.score)
    return {"modules": page, "steps": [step], "llm_calls": usage}
