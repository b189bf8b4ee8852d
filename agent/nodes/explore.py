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

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Module, ToolResult
from agent.nodes.rank import module_score
from agent.nodes.tools import call_tool
from agent.planning.aspects import Proposal
from agent.planning.clusters import cluster_modules, clusters, name_shares, near_items
from agent.planning.expand import proposals
from agent.planning.kinds import framed
from agent.quality.aspect_ground import (
    MIN_ITEMS,
    Verdict,
    aspect_query,
    judge,
    place,
    request_vector,
)
from agent.state import State
from agent.trace import TraceStep
from tools.catalog import Vertical

MAX_ASPECT_MODULES = 6
RESERVE_S = 0.5
"""Time kept back from the LLM for searching and grounding its aspects."""
ASPECTS_CARRY = 2
"""Grounded aspect modules that carry a plan's page on their own: the plan's words
searched as a thing ('marathon' among films for 'movie marathon weekend') then leave it,
and so do weak aspects (`Verdict.weak`: a stand-in such as door plates for 'plates')."""


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


def _emit(module: Module) -> None:
    get_stream_writer()({"module": module.model_dump(mode="json")})


async def _grounded(
    deps: Deps,
    state: State,
    found: list[Proposal],
    seen: dict[tuple[str, str], str],
    until: float,
) -> tuple[list[Module], list[str]]:
    """Aspect modules, and one line per aspect. The searches run at once; their results
    are placed in the model's order (the first aspect to show an item keeps it), each
    streamed as soon as it and those before it are done; weak ones wait for the end and
    are shown only on a page that would otherwise hold fewer than `ASPECTS_CARRY`."""
    request, k = asked(state), state.request.k
    query = await asyncio.to_thread(request_vector, deps, request)
    tasks = {
        asyncio.create_task(_ground(deps, n, request, p.text, p.vertical, query, k)): p
        for n, p in enumerate(found, start=1)
    }
    modules: list[Module] = []
    lines: list[str] = []
    weak: list[tuple[Verdict, ToolResult]] = []
    order = list(tasks)
    for n, task in enumerate(order):
        done, _ = await asyncio.wait({task}, timeout=max(0.0, until - time.time()))
        if not done:
            for late in order[n:]:
                late.cancel()
                p = tasks[late]
                lines.append(f"{p.vertical}/'{p.text}': cut at the deadline")
            break
        verdict, result = task.result()
        if verdict.held and verdict.weak:
            weak.append((verdict, result))
            continue
        lines.append(_show(verdict, result, request, seen, deps, k, modules))
    for verdict, result in weak:
        if len(modules) < ASPECTS_CARRY:
            lines.append(_show(verdict, result, request, seen, deps, k, modules))
        else:
            lines.append(f"{verdict.vertical}/'{verdict.aspect}': left out, weaker than the "
                         f"page's other aspects ({verdict.reason})")  # fmt: skip
    return modules, lines


def _show(
    verdict: Verdict,
    result: ToolResult,
    request: str,
    seen: dict[tuple[str, str], str],
    deps: Deps,
    k: int,
    modules: list[Module],
) -> str:
    """Place a verdict's module on the page (appended to `modules` and streamed) when it
    holds; the trace line either way."""
    if verdict.held:
        verdict = _placed(verdict, result, request, seen, deps, k, len(modules))
    if verdict.module is not None:
        modules.append(verdict.module)
        _emit(verdict.module)
    return f"{verdict.vertical}/'{verdict.aspect}': {verdict.reason or 'dropped'}"


async def _ground(
    deps: Deps, n: int, request: str, aspect: str, vertical: Vertical, query: Any, k: int
) -> tuple[Verdict, ToolResult]:
    sq = aspect_query(n, request, aspect, vertical, deps.index.facets())
    result = await call_tool(deps, sq, k)
    return await judge(deps, aspect, vertical, result, query), result


def _placed(
    verdict: Verdict,
    result: ToolResult,
    request: str,
    seen: dict[tuple[str, str], str],
    deps: Deps,
    k: int,
    shown: int,
) -> Verdict:
    if shown >= MAX_ASPECT_MODULES:
        return verdict.model_copy(update={"reason": "page full"})
    placed = place(verdict, result, request, seen, k)
    if placed.module is None:
        return placed
    score = module_score(placed.module, result, k, deps.module_weights)
    return placed.model_copy(update={"module": placed.module.model_copy(update={"score": score})})


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
        modules, grounded = await _grounded(deps, state, kept, seen, until)
        lines += moved + grounded
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
            _emit(module)
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
