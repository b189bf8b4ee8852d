"""Node `rank`: order modules by intent match and result quality.

score = 0.5 * intent + 0.35 * quality + 0.15 * fill - 0.05 * relaxations, where
intent is how sure the planner is the vertical is wanted, quality is how much
the top hits are backed by both the lexical and the dense retriever, and fill
is how full the module is.
"""

from __future__ import annotations

import time
from typing import Any

from agent.models import Hit, Module, ToolResult, TraceStep
from agent.state import State

TOP = 5


def quality(hits: list[Hit], text: str) -> float:
    """Share of the top hits matched lexically, and by both retrievers, in [0, 1]."""
    top = hits[:TOP]
    if not top:
        return 0.0
    if not text.strip():
        return 0.7
    lexical = sum(h.lexical_rank is not None for h in top) / len(top)
    both = sum(h.lexical_rank is not None and h.dense_rank is not None for h in top) / len(top)
    return 0.5 * lexical + 0.5 * both


def module_score(module: Module, result: ToolResult, k: int) -> float:
    """The module's page score (see the module docstring)."""
    sq = result.subquery
    fill = min(1.0, len(module.items) / max(k, 1))
    score = (
        0.5 * sq.weight
        + 0.35 * quality(result.hits, sq.text)
        + 0.15 * fill
        - 0.05 * len(sq.relaxed)
    )
    return round(max(score, 0.0), 4)


def rank(modules: list[Module], results: list[ToolResult], k: int) -> list[Module]:
    """Score and sort modules; ties keep plan order."""
    by_id = {r.subquery.id: r for r in results}
    scored = [
        m.model_copy(update={"score": module_score(m, by_id[m.id], k)})
        for m in modules
        if m.id in by_id
    ]
    for m in modules:
        if m.vertical == "image":
            top = [i.score for i in m.items[:TOP]]
            similarity = sum(top) / len(top) if top else 0.0
            scored.append(m.model_copy(update={"score": round(0.5 + 0.5 * similarity, 4)}))
    return sorted(scored, key=lambda m: -m.score)


async def rank_node(state: State) -> dict[str, Any]:
    """Order the composed modules."""
    started = time.perf_counter()
    ranked = rank(state.modules, state.assessed, state.request.k)
    order = " > ".join(f"{m.id}({m.score:.2f})" for m in ranked)
    step = TraceStep(
        name="ranked",
        detail=order or "no modules",
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
    return {"modules": ranked, "steps": [step]}
