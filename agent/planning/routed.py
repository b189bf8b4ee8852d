"""The router's plan: the reader's segments, each sent where the router places it.

`routed_plan` keeps the rule planner's segments, topics and grounded filters,
but replaces its fan-out (a segment without a cue word goes to every vertical)
with the router's vertical for that segment. It also says where it is unsure
(a text the router reads as multi-intent that the reader did not split, a
segment it cannot place), which the trace shows; whether the LLM is asked is
decided by the request's kind (`agent/planning/kinds.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.models import Plan
from agent.planning.router import Router, Routing
from agent.planning.rules import EmptyPlan, add_subquery
from agent.understand.model import Understanding
from tools.catalog import Vertical
from tools.contract import SubQuery


@dataclass(frozen=True)
class RoutedPlan:
    """The router's plan, whether the LLM is worth a call, and why."""

    plan: Plan
    needs_llm: bool
    reason: str
    routing: Routing


def _place(routing: Routing, cue: Vertical | None) -> list[Vertical]:
    if routing.confident:
        return [routing.best]
    if cue is not None:
        return [cue]
    return routing.verticals(threshold=0.3)


def routed_plan(understood: Understanding, router: Router) -> RoutedPlan:
    """Route each segment with the router; raise `EmptyPlan` when there is nothing to search."""
    whole = router.route(understood.text)
    subqueries: list[SubQuery] = []
    unsure: list[str] = []
    for segment in understood.segments:
        routing = whole if len(understood.segments) == 1 else router.route(segment.text)
        if not routing.confident and segment.vertical is None:
            unsure.append(segment.text)
        for vertical in _place(routing, segment.vertical):
            add_subquery(subqueries, segment, vertical, routing.scores[vertical])
    if not subqueries:
        raise EmptyPlan("the request has no words to search for")
    placed = {sq.vertical for sq in subqueries}
    if whole.multi >= 0.5 and len(placed) < 2:
        reason = f"reads several intents ({whole.describe()}) the reader did not split"
        needs = True
    elif unsure:
        reason = f"unsure where {unsure[0]!r} belongs"
        needs = True
    else:
        reason = f"placed every clause ({whole.describe()})"
        needs = False
    confidence = min(max(whole.scores.values()), 1.0)
    plan = Plan(subqueries=subqueries, planner="router", confidence=round(confidence, 3))
    return RoutedPlan(plan=plan, needs_llm=needs, reason=reason, routing=whole)
