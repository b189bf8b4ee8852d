"""Fan-out: one `Send` per sub-query; each tool runs under its own deadline.

A tool that fails or times out yields a `ToolResult` with an error, so the
other tools' modules still reach the page and the trace says what went wrong;
a search that fell back to lexical only (damaged vectors) says so in its step.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send
from opentelemetry.util.types import AttributeValue

from agent.deps import Deps
from agent.models import ToolResult
from agent.nodes.image import ImageTask
from agent.spans import current_request
from agent.state import State, ToolTask
from agent.trace import TraceStep
from tools.contract import SubQuery
from tools.registry import TOOLS
from tools.tracing import compact, span


def fan_out(state: State) -> list[Send] | str:
    """Route each sub-query to `run_tool` and an image to `similar_images`; else compose."""
    k = min(state.request.k * state.overfetch, 150)
    sends = [
        Send("run_tool", ToolTask(subquery=sq, k=k))
        for sq in (state.plan.subqueries if state.plan else [])
    ]
    if state.image_key:
        sends.append(Send("similar_images", ImageTask(key=state.image_key, k=k)))
    spans = current_request()
    if spans is not None and sends:
        spans.open_fan_out(len(sends))
    return sends or "compose"


async def call_tool(deps: Deps, sq: SubQuery, k: int) -> ToolResult:
    """Run one tool with the configured deadline; never raises."""
    spans = current_request()
    parent = spans.fan_out_context() if spans is not None else None
    with span(f"tool.{sq.tool}", context=parent) as current:
        result = await _call_tool(deps, sq, k)
        if current.is_recording():
            current.set_attributes(tool_attributes(result))
    return result


def tool_attributes(result: ToolResult) -> dict[str, AttributeValue]:
    """What a tool span says: the sub-query, its vertical and filters, what came back."""
    sq = result.subquery
    attributes: dict[str, AttributeValue] = {
        "tessera.subquery.id": sq.id,
        "tessera.subquery.text": sq.text,
        "tessera.vertical": sq.vertical,
        "tessera.filters": compact(sq.filters),
        "tessera.hits": len(result.hits),
    }
    if sq.relaxed:
        attributes["tessera.relaxed"] = list(sq.relaxed)
    if result.error:
        attributes["error.type"] = result.error.split(":")[0][:80]
    if result.note:
        attributes["tessera.fallback"] = result.note
    return attributes


async def _call_tool(deps: Deps, sq: SubQuery, k: int) -> ToolResult:
    started = time.perf_counter()
    tool = TOOLS[sq.tool]
    try:
        cache = deps.caches.results if deps.caches else None
        key = (deps.index.version, sq.model_dump_json(), k)
        hits = cache.get(key) if cache is not None else None
        if hits is None:
            hits = await asyncio.wait_for(
                tool(deps.tools, sq, k), timeout=deps.settings.tool_deadline_s
            )
            if cache is not None:
                cache.put(key, hits)
        error = None
    except TimeoutError:
        hits, error = [], f"{sq.tool} timed out after {deps.settings.tool_deadline_s:g}s"
    except Exception as exc:  # noqa: BLE001 - a failing tool must not fail the page
        hits, error = [], f"{sq.tool} failed: {type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    problem = deps.index.dense_problem(sq.vertical)
    note = f"lexical only: {sq.vertical} vectors out of use ({problem})" if problem else None
    return ToolResult(subquery=sq, hits=hits, error=error, note=note, elapsed_ms=elapsed)


async def run_tool_node(task: ToolTask, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Node `run_tool`: one sub-query through its tool."""
    result = await call_tool(runtime.context, task.subquery, task.k)
    detail = result.error or f"{len(result.hits)} hits for '{task.subquery.text}'"
    if task.subquery.tool == "search_products" and runtime.context.settings.ranker == "ltr":
        detail += f"; {runtime.context.ranker_note}"
    if result.note:
        detail += f"; {result.note}"
    step = TraceStep(
        name=f"tool:{task.subquery.id}",
        detail=f"{task.subquery.tool}: {detail}",
        elapsed_ms=result.elapsed_ms,
        ok=result.error is None,
    )
    return {"results": [result], "steps": [step]}
