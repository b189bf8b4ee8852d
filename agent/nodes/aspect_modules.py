"""Aspect modules of a broad intent: each proposed aspect searched in its vertical, judged
(`agent/quality/aspect_ground.py`), placed on the page in the model's order and streamed
as it is made; weak aspects only where the page needs them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.config import get_stream_writer

from agent.deps import Deps
from agent.models import Module, ToolResult
from agent.nodes.rank import module_score
from agent.nodes.tools import call_tool
from agent.planning.aspects import Proposal
from agent.quality.aspect_ground import Verdict, aspect_query, judge, place, request_vector
from tools.catalog import Vertical

MAX_ASPECT_MODULES = 6
ASPECTS_CARRY = 2
"""Grounded aspect modules that carry a plan's page on their own: the plan's words
searched as a thing ('marathon' among films for 'movie marathon weekend') then leave it,
and so do weak aspects (`Verdict.weak`: a stand-in such as door plates for 'plates')."""


def emit(module: Module) -> None:
    """Stream a module as it is made (a `module` custom event of the graph)."""
    get_stream_writer()({"module": module.model_dump(mode="json")})


async def grounded(
    deps: Deps,
    request: str,
    k: int,
    found: list[Proposal],
    seen: dict[tuple[str, str], str],
    until: float,
) -> tuple[list[Module], list[str]]:
    """Aspect modules, and one line per aspect. The searches run at once; their results
    are placed in the model's order (the first aspect to show an item keeps it), each
    streamed as soon as it and those before it are done; weak ones wait for the end and
    are shown only on a page that would otherwise hold fewer than `ASPECTS_CARRY`."""
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
        emit(verdict.module)
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
