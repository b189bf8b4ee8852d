"""Node `write`: LLM titles for modules and LLM related searches, when asked for.

Off by default (TESSERA_LLM_TITLES, TESSERA_LLM_SUGGESTIONS): each costs a
blocking call, and the template titles and catalog suggestions already make
a complete page.

Template titles and catalog suggestions are already on the state; this node
only replaces or adds to them. An LLM suggestion is kept only if it finds
results in the catalog, so every chip on the page leads somewhere.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.llm.budget import request_budget, usage
from agent.llm.writer import write_suggestions, write_titles
from agent.state import State
from agent.suggest import MAX_SUGGESTIONS, returns_results
from agent.trace import TraceStep


async def write_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Ask the LLM for titles and suggestions within the request's budget."""
    deps = runtime.context
    settings = deps.settings
    if deps.llm is None or not state.modules:
        return {}
    if not (settings.llm_titles or settings.llm_suggestions):
        return {}
    if deps.gate is not None and deps.gate.skip_reason():
        return {}
    started = time.perf_counter()
    budget = request_budget(settings, state)
    text = state.request.text
    titles_job = (
        write_titles(deps.llm, text, state.modules, budget) if settings.llm_titles else None
    )
    ideas_job = (
        write_suggestions(deps.llm, text, state.modules, budget)
        if settings.llm_suggestions
        else None
    )
    titles = await titles_job if titles_job else {}
    ideas = await ideas_job if ideas_job else []
    vocab = deps.index.facets()
    checks = await asyncio.gather(
        *(asyncio.to_thread(returns_results, deps.index, vocab, s) for s in ideas)
    )
    llm_kept = [s for s, ok in zip(ideas, checks, strict=True) if ok]
    merged = list(dict.fromkeys([*llm_kept[:4], *state.suggestions]))[:MAX_SUGGESTIONS]
    modules = [
        m.model_copy(update={"title": titles[m.id]}) if m.id in titles else m for m in state.modules
    ]
    detail = (
        f"{len(titles)}/{len(modules)} LLM titles; {len(llm_kept)}/{len(ideas)} LLM "
        "suggestions found results"
    )
    step = TraceStep(
        name="written", detail=detail, elapsed_ms=(time.perf_counter() - started) * 1000
    )
    return {
        "modules": modules,
        "suggestions": merged,
        "llm_calls": usage(budget),
        "steps": [step],
    }
