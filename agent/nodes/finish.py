"""Nodes `suggest` and `finish`: related searches, then the page and its trace.

Related searches come first from the query graph (catalog phrases and what other
users searched next, scaled by the user's interests) when it has been built, then
from facets of the items on the page.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Page
from agent.nodes.gate import fan_out_losers
from agent.state import State, Turn
from agent.suggest import MAX_SUGGESTIONS, related_searches
from agent.trace import Trace, TraceStep
from tools.tracing import trace_id

logger = logging.getLogger("tessera.suggest")
RECOMMENDED = 4


async def recommended(deps: Deps, text: str, user_id: str | None) -> tuple[list[str], str]:
    """Query-graph recommendations and a note on where they came from; never raises."""
    personal = deps.personal
    if personal is None or not text.strip():
        return [], ""
    graph = personal.query_graph()
    if graph is None:
        return [], "query graph not built yet"
    try:
        profile = await asyncio.to_thread(personal.profiles.get, user_id) if user_id else None
        found = await asyncio.to_thread(graph.recommend, text, profile, RECOMMENDED)
    except Exception as exc:  # noqa: BLE001 - catalog suggestions still fill the list
        logger.warning("query recommendations failed", exc_info=True)
        return [], f"query graph failed: {exc}"
    return found, f"{len(found)} from the query graph" + (" (personal)" if profile else "")


def merge(first: list[str], then: list[str], query: str) -> list[str]:
    """Both lists in order, without repeats (ignoring case) or the query itself."""
    seen = {" ".join(query.lower().split())}
    out: list[str] = []
    for text in [*first, *then]:
        text = " ".join(text.split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out[:MAX_SUGGESTIONS]


async def suggest_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Related searches: the query graph's first, then ones grounded in the page's items."""
    started = time.perf_counter()
    text = state.request.text
    deps = runtime.context
    graph, note = await recommended(deps, text, state.request.user_id)
    segments = state.understood.segments if state.understood else []
    topics = [s.text for s in segments if s.text] or [text]
    terms = await asyncio.to_thread(deps.index.terms)
    related = related_searches(
        state.modules, topics, text, terms, deps.index.facets(), missing=bool(abstentions(state))
    )
    suggestions = merge(graph, related, text)
    step = TraceStep(
        name="suggested",
        detail=f"{len(suggestions)} suggestion(s)" + (f"; {note}" if note else ""),
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"suggestions": suggestions, "steps": [step]}


def abstentions(state: State) -> list[str]:
    """One line per intent the page could not answer: "no good matches for '...' in this
    catalog", naming the clause of the request it came from. A fanned-out vertical that
    lost to a closer sibling (`fan_out_losers`) is not one: the sibling answered it, nor
    is a broad request the page answered with its aspects."""
    if any(m.aspect for m in state.modules):
        return []
    shown = {m.id for m in state.modules}
    lost = fan_out_losers(state.assessed)
    missing = [
        r
        for r in state.assessed
        if r.error is None and r.subquery.id not in shown and r.subquery.id not in lost
    ]
    if not missing:
        return []
    segments = state.understood.segments if state.understood else []
    clause = {s.topic: s.text for s in segments}
    phrases = [
        clause.get(r.subquery.text) or r.subquery.text or state.request.text for r in missing
    ]
    return [f"no good matches for '{p}' in this catalog" for p in dict.fromkeys(phrases)]


def kinds_shown(state: State) -> dict[str, str]:
    """For each shopping module, the category leaf at least 3 of its first 5 items share."""
    out: dict[str, str] = {}
    for module in state.modules:
        if module.vertical != "shopping":
            continue
        leaves = Counter(
            i.category.split(" > ")[-1].lower() for i in module.items[:5] if i.category
        )
        if leaves and (top := leaves.most_common(1)[0])[1] >= 3:
            out[module.subquery] = top[0]
    return out


async def finish_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Assemble the page; remember this turn in the thread's history."""
    deps = runtime.context
    thread_id = get_config().get("configurable", {}).get("thread_id")
    errors = [r.error for r in state.assessed if r.error]
    if state.plan is None and not state.image_key:
        errors.append("nothing to search for: type a few words about what you want")
    if state.image_info is not None and state.image_info.error:
        errors.append(state.image_info.error)
    notes = abstentions(state)
    timings: dict[str, float] = {}
    for step in state.steps:
        timings[step.name] = round(timings.get(step.name, 0.0) + step.elapsed_ms, 3)
    trace = Trace(
        planner=state.planner_note or (state.plan.planner if state.plan else "none"),
        steps=[*state.steps, TraceStep(name="page", detail=f"{len(state.modules)} module(s)")],
        llm_calls=sum(1 for c in state.llm_calls if c.outcome != "budget"),
        llm_tokens=sum(c.prompt_tokens + c.completion_tokens for c in state.llm_calls),
        llm=state.llm_calls,
        timings_ms=timings,
        errors=errors,
        notes=notes,
        cache=deps.caches.stats() if deps.caches else {},
        image=state.image_info,
        personalisation=state.personalisation,
        trace_id=trace_id(),
    )
    page = Page(
        query=state.request.text,
        thread_id=thread_id,
        user_id=state.request.user_id,
        modules=state.modules,
        suggestions=state.suggestions,
        spelling=state.understood.spelling if state.understood else None,
        trace=trace,
        page_id=state.page_id or uuid.uuid4().hex,
    )
    update: dict[str, Any] = {"page": page}
    if state.plan is not None:
        prices = [i.price for m in state.modules for i in m.items if i.price is not None]
        turn = Turn(
            text=state.request.text,
            plan=state.plan,
            page_summary=[m.title for m in state.modules],
            max_price_seen=max(prices) if prices else None,
            kinds=kinds_shown(state),
        )
        update["history"] = [*state.history, turn][-20:]
    return update
