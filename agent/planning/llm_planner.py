"""The LLM planner: one structured call turns a request into routed sub-queries.

The model sees the tools, the catalog's facet values, a few worked examples,
the conversation so far and what the rule taggers found. Its reply is a
`DraftPlan` (its own schema, validated), which `ground_plan` turns into a
`Plan` the request actually supports. Any failure raises `PlannerError` so the
caller falls back to the rule planner.
"""

from __future__ import annotations

from typing import get_args

from pydantic import ValidationError

from agent.llm.client import Budget, LLMClient, LLMError
from agent.llm.safety import quote_all
from agent.models import Plan
from agent.planning.draft import DraftFilters, DraftPlan, DraftSubQuery, PlannerError
from agent.planning.grounding import ground_plan
from agent.planning.support import supported_only
from agent.understand.model import Understanding
from prompts.loader import render
from tools.contract import ToolName
from tools.facets import FacetVocabulary

__all__ = ["DraftFilters", "DraftPlan", "DraftSubQuery", "LLMPlanner", "PlannerError"]

_VOCAB_SHOWN = 30


def _top(table: dict[str, int]) -> str:
    values = sorted(table, key=lambda k: (-table[k], k))[:_VOCAB_SHOWN]
    return quote_all(values) if values else "(none)"


def _hints(understood: Understanding) -> str:
    lines = []
    for segment in understood.segments:
        found = segment.filters.describe()
        where = segment.vertical or "unclear"
        lines.append(f'- "{segment.text}": {where}' + (f" ({found})" if found else ""))
    return "\n".join(lines) if lines else "- (nothing found)"


class LLMPlanner:
    """Plans with an LLM, grounded in the request and the catalog; raises `PlannerError`."""

    def __init__(self, llm: LLMClient, *, max_tokens: int | None = None) -> None:
        self._llm = llm
        self._max_tokens = max_tokens
        self.name = f"llm:{llm.model}"

    def prompts(
        self, understood: Understanding, vocab: FacetVocabulary, history: list[str]
    ) -> tuple[str, str]:
        """The system and user messages for one plan."""
        system = render(
            "plan_system",
            tools=", ".join(get_args(ToolName)),
            colors=_top(vocab.colors),
            brands=_top(vocab.brands),
            categories=_top(vocab.categories),
            genres=_top(vocab.genres),
            diets=_top(vocab.diets),
        )
        earlier = "\n".join(f"- {turn}" for turn in history[-3:]) or "- (none)"
        user = render(
            "plan_user", history=earlier, hints=_hints(understood), request=understood.text
        )
        return system, user

    async def plan(
        self,
        understood: Understanding,
        vocab: FacetVocabulary,
        *,
        history: list[str] | None = None,
        budget: Budget | None = None,
    ) -> Plan:
        """A grounded plan for `understood`; `budget` defaults to the client's limits."""
        history = list(history or [])
        budget = budget if budget is not None else self._llm.new_budget()
        system, user = self.prompts(understood, vocab, history)
        try:
            draft = await self._llm.structured(
                system=system,
                user=user,
                schema=DraftPlan,
                budget=budget,
                name="plan",
                max_tokens=self._max_tokens,
            )
        except LLMError as exc:
            raise PlannerError(f"LLM planner failed: {exc}") from exc
        try:
            grounded = ground_plan(
                draft, understood, vocab, understood.text, history=history[-3:], planner=self.name
            )
            return supported_only(grounded, understood, history[-3:])
        except ValidationError as exc:
            raise PlannerError(f"LLM plan could not be grounded: {exc}") from exc
