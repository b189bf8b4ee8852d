"""The relevance gate over a page's modules, and the fan-out contest before it.

A module stays when its top item is likely relevant (`gate`). Where the plan sent one
clause to several verticals because nothing said which (a fan-out), the verticals
compete: one whose first items are far less close in meaning than its best sibling's
answers nothing that was asked (a film called "Running with Scissors" for "a pair of
scissors") and is not shown (`fan_out_losers`).
"""

from __future__ import annotations

from agent.models import Module, ToolResult
from agent.quality.relevance import JUDGED, GateModel, load_gate, relevance
from tools.tracing import leaf

FAN_OUT_MARGIN = 0.15
"""How much less close in meaning (best cosine of the first items) a fanned-out
vertical's items may be than its best sibling's and still be shown."""


def _closeness(result: ToolResult) -> float | None:
    known = [h.similarity for h in result.hits[:JUDGED] if h.similarity is not None]
    return max(known) if known else None


def fan_out_losers(results: list[ToolResult]) -> set[str]:
    """Sub-query ids of fanned-out verticals that lose to a sibling.

    Siblings are the sub-queries of one clause (same text and note) in different
    verticals. A sibling whose first items are more than `FAN_OUT_MARGIN` less close in
    meaning than the closest sibling's loses. A group with an unread similarity is left
    alone."""
    groups: dict[tuple[str, str], list[ToolResult]] = {}
    for result in results:
        sq = result.subquery
        if sq.text and result.hits:
            groups.setdefault((sq.text, sq.note), []).append(result)
    losers: set[str] = set()
    for group in groups.values():
        if len({r.subquery.vertical for r in group}) < 2:
            continue
        close = [_closeness(r) for r in group]
        if any(c is None for c in close):
            continue
        best = max(c for c in close if c is not None)
        losers |= {
            r.subquery.id
            for r, c in zip(group, close, strict=True)
            if c is not None and c < best - FAN_OUT_MARGIN and not r.within_bounds
        }
    return losers


def gate(
    modules: list[Module],
    results: list[ToolResult],
    model: GateModel | None = None,
    losers: set[str] | None = None,
) -> tuple[list[Module], dict[str, float]]:
    """The modules whose top item is likely relevant, and every module's probability.

    A module stays when the calibrated probability that its top item is relevant
    to its sub-query reaches the gate's threshold (`agent/quality/relevance.py`), or
    when assess kept its items as the closest inside the request's stated bounds
    (the catalog answers the words only beyond them; `agent/nodes/assess.py`), or when a
    step of the relaxation ladder found them (`agent/nodes/ladder.py`). A
    fanned-out vertical that loses to a sibling (`fan_out_losers`, or `losers` when the
    caller has them already) gets probability 0.
    """
    model = model or load_gate()
    by_id = {r.subquery.id: r for r in results}
    losers = fan_out_losers(results) if losers is None else losers
    kept: list[Module] = []
    odds: dict[str, float] = {}
    for module in modules:
        result = by_id.get(module.id)
        if result is None:
            kept.append(module)
            continue
        with leaf("gate", {"tessera.module.id": module.id}) as decision:
            lost = module.id in losers
            p = 0.0 if lost else relevance(result.subquery.text, result.hits, model)
            odds[module.id] = round(p, 3)
            keep = bool(p >= model.threshold or result.within_bounds or result.ladder)
            if decision.is_recording():
                decision.set_attributes(
                    {
                        "tessera.gate.probability": round(p, 4),
                        "tessera.gate.threshold": model.threshold,
                        "tessera.gate.kept": keep,
                        "tessera.gate.reason": _decided_by(lost, p >= model.threshold, result),
                        "tessera.vertical": module.vertical,
                    }
                )
        if keep:
            kept.append(module)
    return kept, odds


def _decided_by(lost: bool, likely: bool, result: ToolResult) -> str:
    """What decided a module's gate: the trace's word for it."""
    if lost:
        return "lost to a closer vertical"
    if not likely and result.ladder:
        return "relaxation ladder"
    if not likely and result.within_bounds:
        return "within bounds"
    return "probability"
