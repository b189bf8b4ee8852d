"""A planned sub-query must be asked for: its vertical, or its words, come from the request.

The LLM planner sees catalog text (facet values), so a poisoned catalog could
make it add searches nobody asked for ("evil example videos"), or send a
request to a vertical it never mentioned as well. When the request cues some
verticals, a sub-query for another vertical is kept only if its search text
shares a word with the request (or the recent turns) and covers words that no
cued sub-query covers. A request that cues no vertical is left to the planner.
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.llm.safety import words
from agent.models import Plan
from agent.planning.draft import PlannerError
from agent.understand.model import Understanding
from agent.understand.reader import content_tokens


def _content(text: str) -> set[str]:
    return words(" ".join(content_tokens(text)))


def supported_only(plan: Plan, understood: Understanding, history: Sequence[str] = ()) -> Plan:
    """`plan` without sub-queries the request does not support; `PlannerError` if none is."""
    cued = set(understood.verticals)
    if not cued:
        return plan
    asked = _content(understood.text) | set().union(*(_content(h) for h in history))
    covered = set().union(*(_content(sq.text) for sq in plan.subqueries if sq.vertical in cued))
    kept = [
        sq
        for sq in plan.subqueries
        if sq.vertical in cued or (_content(sq.text) & asked and not _content(sq.text) <= covered)
    ]
    if not kept:
        raise PlannerError("no planned sub-query is supported by the request")
    if len(kept) == len(plan.subqueries):
        return plan
    dropped = [sq.text for sq in plan.subqueries if sq not in kept]
    note = "; dropped unrequested " + ", ".join(repr(t) for t in dropped)
    return plan.model_copy(
        update={
            "subqueries": [sq.model_copy(update={"note": (sq.note + note)[:300]}) for sq in kept],
            "confidence": round(plan.confidence * len(kept) / len(plan.subqueries), 3),
        }
    )
