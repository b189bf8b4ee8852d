"""The rule planner: turns an `Understanding` into routed sub-queries, no LLM needed.

A segment with a vertical cue goes to that vertical's tool; one without a cue
fans out to every vertical (the rank step later orders what comes back). At
most four sub-queries; cued segments take precedence.
"""

from __future__ import annotations

from agent.models import Plan
from agent.understand.model import Segment, Understanding
from tools.catalog import VERTICALS, Vertical
from tools.contract import VERTICAL_TOOL, SubQuery
from tools.filters import VERTICAL_FIELDS, filters_for

MAX_SUBQUERIES = 4


class EmptyPlan(ValueError):
    """The request holds nothing to search for."""


def add_subquery(
    subqueries: list[SubQuery], segment: Segment, vertical: Vertical, weight: float
) -> None:
    """Append the segment's sub-query for `vertical`, unless that topic already searches
    it or the plan is full."""
    if len(subqueries) >= MAX_SUBQUERIES or any(
        sq.text == segment.topic and sq.vertical == vertical for sq in subqueries
    ):
        return
    subqueries.append(
        SubQuery(
            id=f"q{len(subqueries) + 1}",
            text=segment.topic,
            tool=VERTICAL_TOOL[vertical],
            filters=filters_for(vertical, segment.filters),
            note=segment.text,
            weight=round(weight, 3),
        )
    )


def _targets(segment: Segment) -> list[Vertical]:
    if segment.vertical:
        return [segment.vertical]
    set_fields = set(segment.filters.model_dump(exclude_defaults=True))
    if set_fields:
        fitting = [v for v in VERTICALS if set_fields <= VERTICAL_FIELDS[v]]
        if fitting:
            return fitting
    return list(VERTICALS)


def rule_plan(understood: Understanding) -> Plan:
    """Route every segment; raise `EmptyPlan` when there is nothing to search."""
    ordered = sorted(understood.segments, key=lambda s: s.vertical is None)
    subqueries: list[SubQuery] = []
    for segment in ordered:
        for vertical in _targets(segment):
            add_subquery(subqueries, segment, vertical, 1.0 if segment.vertical else 0.6)
    if not subqueries:
        raise EmptyPlan("the request has no words to search for")
    subqueries.sort(key=lambda sq: int(sq.id[1:]))
    cued = sum(1 for s in understood.segments if s.vertical)
    confidence = cued / max(len(understood.segments), 1)
    return Plan(subqueries=subqueries, planner="rule", confidence=round(confidence, 3))
