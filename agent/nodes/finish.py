"""Nodes `suggest` and `finish`: related searches, then the page and its trace."""

from __future__ import annotations

import time
from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Page, Trace, TraceStep
from agent.state import State, Turn
from agent.suggest import related_searches


async def suggest_node(state: State) -> dict[str, Any]:
    """Related searches grounded in the items on the page."""
    started = time.perf_counter()
    suggestions = related_searches(state.modules, state.request.text)
    step = TraceStep(
        name="suggested",
        detail=f"{len(suggestions)} suggestion(s)",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"suggestions": suggestions, "steps": [step]}


async def finish_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Assemble the page; remember this turn in the thread's history."""
    deps = runtime.context
    thread_id = get_config().get("configurable", {}).get("thread_id")
    errors = [r.error for r in state.assessed if r.error]
    if state.plan is None and not state.image_key:
        errors.append("nothing to search for: type a few words about what you want")
    if "error" in state.image_info:
        errors.append(str(state.image_info["error"]))
    timings: dict[str, float] = {}
    for step in state.steps:
        timings[step.name] = round(timings.get(step.name, 0.0) + step.elapsed_ms, 3)
    trace = Trace(
        planner=state.planner_note or (state.plan.planner if state.plan else "none"),
        steps=[*state.steps, TraceStep(name="page", detail=f"{len(state.modules)} module(s)")],
        llm_calls=len(state.llm_calls),
        llm_tokens=sum(c.prompt_tokens + c.completion_tokens for c in state.llm_calls),
        llm=state.llm_calls,
        timings_ms=timings,
        errors=errors,
        cache=deps.caches.stats() if deps.caches else {},
        image=state.image_info,
    )
    page = Page(
        query=state.request.text,
        thread_id=thread_id,
        modules=state.modules,
        suggestions=state.suggestions,
        trace=trace,
    )
    update: dict[str, Any] = {"page": page}
    if state.plan is not None:
        prices = [i.price for m in state.modules for i in m.items if i.price is not None]
        turn = Turn(
            text=state.request.text,
            plan=state.plan,
            page_summary=[m.title for m in state.modules],
            max_price_seen=max(prices) if prices else None,
        )
        update["history"] = [*state.history, turn][-20:]
    return update
