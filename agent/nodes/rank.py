"""Node `rank`: order modules by intent match and result quality, then personalise.

score = w_intent * intent + w_quality * quality + w_fill * fill + w_relax * relaxations,
where intent is how sure the planner is the vertical is wanted, quality is how much
the top hits are backed by both the lexical and the dense retriever (or, when
the learned ranker ordered them, their mean probability of relevance), fill is how
full the module is and relaxations counts relaxed constraints. The weights are
hand-set (0.5, 0.35, 0.15, -0.05) unless `tessera rank train-modules` saved learned
ones (`Deps.module_weights`); each module keeps its signals so logged pages can be
replayed under other weights.
Before scoring, the relevance gate removes modules whose top item is unlikely to be
relevant (`agent/nodes/gate.py`); the page then says so. A follow-up that only switches
vertical ("show me videos instead") and a request with a picture are not gated: the
person asked for that vertical's nearest items, or for what looks like the picture.

For a request with a `user_id` (and personalisation configured) the over-fetched
items are re-ranked by the user's profile, modules re-ordered, the shown order
chosen by the explorer and the page's impression logged (`agent/personal_page.py`).
Every module leaves this node with at most `request.k` items.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Module, ToolResult
from agent.nodes.gate import fan_out_losers, gate
from agent.personal.module_ranker import ModuleWeights
from agent.personal.page import personalise_page, trim
from agent.quality.relevance import load_gate, query_terms
from agent.state import State
from agent.trace import PersonalisationTrace, TraceStep
from tools.contract import Hit

TOP = 5


def quality(hits: list[Hit], text: str) -> float:
    """Share of the top hits matched lexically, and by both retrievers, in [0, 1];
    the mean calibrated probability of relevance of the top hits when a learned
    ranker gave one. A sub-query whose words only say who or when it is for is
    answered by its filters, as one with no words is."""
    top = hits[:TOP]
    if not top:
        return 0.0
    if not query_terms(text):
        return 0.7
    relevance = [h.relevance for h in top if h.relevance is not None]
    if relevance:
        return sum(relevance) / len(relevance)
    lexical = sum(h.lexical_rank is not None for h in top) / len(top)
    both = sum(h.lexical_rank is not None and h.dense_rank is not None for h in top) / len(top)
    return 0.5 * lexical + 0.5 * both


def module_signals(module: Module, result: ToolResult, k: int) -> dict[str, float]:
    """The signals the module's page score weighs (see the module docstring)."""
    sq = result.subquery
    return {
        "intent": sq.weight,
        "quality": round(quality(result.hits, sq.text), 4),
        "fill": min(1.0, len(module.items) / max(k, 1)),
        "relaxations": float(len(sq.relaxed)),
    }


def module_score(
    module: Module, result: ToolResult, k: int, weights: ModuleWeights | None = None
) -> float:
    """The module's page score (see the module docstring)."""
    return round((weights or ModuleWeights()).base(module_signals(module, result, k)), 4)


def rank(
    modules: list[Module],
    results: list[ToolResult],
    k: int,
    weights: ModuleWeights | None = None,
) -> list[Module]:
    """Score and sort modules; ties keep plan order."""
    weights = weights or ModuleWeights()
    by_id = {r.subquery.id: r for r in results}
    scored = []
    for m in modules:
        if m.id not in by_id:
            continue
        signals = module_signals(m, by_id[m.id], k)
        score = round(weights.base(signals), 4)
        scored.append(m.model_copy(update={"score": score, "signals": signals}))
    for m in modules:
        if m.vertical == "image":
            top = [i.score for i in m.items[:TOP]]
            similarity = sum(top) / len(top) if top else 0.0
            scored.append(m.model_copy(update={"score": round(0.5 + 0.5 * similarity, 4)}))
    return sorted(scored, key=lambda m: -m.score)


async def rank_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Order the composed modules, personalised for a known user; name the page."""
    started = time.perf_counter()
    personal = runtime.context.personal
    request = state.request
    page_id = uuid.uuid4().hex
    refinement = state.understood.refinement if state.understood else None
    odds: dict[str, float] = {}
    losers = fan_out_losers(state.assessed)
    if state.image_key or (refinement is not None and refinement.kind == "vertical"):
        shown = state.modules
    else:
        shown, odds = gate(state.modules, state.assessed, losers=losers)
    ranked = rank(shown, state.assessed, request.k, runtime.context.module_weights)
    if refinement is not None and refinement.kind == "add" and state.plan is not None:
        planned = {sq.id: i for i, sq in enumerate(state.plan.subqueries)}
        ranked.sort(key=lambda m: planned.get(m.id, len(planned)))
    modules, note, ok = trim(ranked, request.k), "", True
    personalisation: PersonalisationTrace | None = None
    if personal is not None and request.user_id:
        page = await personalise_page(
            personal,
            user_id=request.user_id,
            query=request.text,
            modules=ranked,
            results=state.assessed,
            weight=runtime.context.settings.personalisation_weight,
            k=request.k,
            page_id=page_id,
        )
        modules, personalisation, note, ok = page.modules, page.trace, f"; {page.detail}", page.ok
    elif personal is not None:
        personalisation = PersonalisationTrace(
            applied=False, reason="anonymous request (no user_id)"
        )
    order = " > ".join(f"{m.id}({m.score:.2f})" for m in modules)
    lost = losers & set(odds)
    held = [f"{i} p={p:.2f}" for i, p in odds.items() if i not in {m.id for m in shown} | lost]
    if held:
        note += f"; not shown (p(relevant) < {load_gate().threshold}): " + ", ".join(held)
    if lost:
        note += "; not shown (another vertical is far closer in meaning): "
        note += ", ".join(sorted(lost))
    step = TraceStep(
        name="ranked",
        detail=(order or "no modules") + note,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        ok=ok,
    )
    return {
        "modules": modules,
        "page_id": page_id,
        "personalisation": personalisation,
        "steps": [step],
    }
