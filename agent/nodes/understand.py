"""Node `understand`: taggers over the request, follow-ups read against the thread."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.nodes.image import read_image
from agent.state import State
from agent.trace import ImageTrace, TraceStep
from agent.understand.reader import understand
from agent.understand.refine import refine


async def understand_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Read the request; a follow-up ('cheaper') is rewritten from the previous turn."""
    started = time.perf_counter()
    deps = runtime.context
    vocab = deps.index.facets()
    text = state.request.text
    update: dict[str, Any] = {}
    if state.request.image:
        reading = await read_image(deps, state.request.image)
        text = f"{reading.text} {text}".strip()
        info = ImageTrace(error=reading.error) if reading.error else reading.info
        update = {"image_key": reading.key, "image_info": info}
    speller = None
    if not state.request.exact and not state.request.image:
        speller = deps.spellers.ready(deps.index) or await asyncio.to_thread(
            deps.spellers.get, deps.index
        )
    understood = understand(text, vocab, max_chars=deps.settings.max_query_chars, speller=speller)
    if not state.request.filters.is_empty():
        segments = [
            s.model_copy(update={"filters": s.filters.merged(state.request.filters)})
            for s in understood.segments
        ]
        understood = understood.model_copy(update={"segments": segments})
    detail = f"{len(understood.segments)} intent(s)"
    if state.history:
        last = state.history[-1]
        refined = refine(understood, last.plan, last.max_price_seen, vocab, last.kinds)
        if refined is not None and refined.refinement is not None:
            understood = refined
            detail = f"follow-up: {refined.refinement.kind}"
    if understood.spelling is not None:
        detail += f"; spelling: '{understood.spelling.corrected}'"
    if understood.truncated:
        detail += "; query cut to fit the length limit"
    if understood.non_english:
        detail += "; query looks non-English: matching may be weaker"
    step = TraceStep(
        name="understood", detail=detail, elapsed_ms=(time.perf_counter() - started) * 1000
    )
    personal = state.request.user_id is not None and deps.personal is not None
    if state.request.image:
        info = update["image_info"]
        detail += "; image: " + (info.error if info.error else ", ".join(info.labels[:3]))
        step = step.model_copy(update={"detail": detail, "ok": info.error is None})
    return {
        **update,
        "understood": understood,
        "overfetch": deps.settings.overfetch if personal else 1,
        "steps": [step],
    }


async def begin_node(state: State) -> dict[str, Any]:
    """Clear what the previous turn of this thread left behind; keep its history."""
    return {
        "understood": None,
        "plan": None,
        "results": None,
        "assessed": [],
        "modules": [],
        "suggestions": [],
        "steps": None,
        "llm_calls": None,
        "page": None,
        "planner_note": "",
        "started_at": time.time(),
        "page_id": "",
        "personalisation": None,
        "image_key": None,
        "image_info": None,
        "image_hits": [],
    }
