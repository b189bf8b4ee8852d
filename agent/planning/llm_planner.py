"""The LLM planner: one structured call turns a request into routed sub-queries.

The model sees the tools, the catalog's facet values, a few worked examples,
the conversation so far and what the rule taggers found. Its reply is a
`DraftPlan` (its own schema, validated), which `ground_plan` turns into a
`Plan` the request actually supports. Any failure raises `PlannerError` so the
caller falls back to the rule planner.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agent.llm.client import Budget, LLMClient, LLMError
from agent.models import Plan, ToolName
from agent.planning.grounding import PlannerError, ground_plan
from agent.understand.model import Understanding
from prompts.loader import render
from tools.facets import FacetVocabulary

__all__ = ["DraftFilters", "DraftPlan", "DraftSubQuery", "LLMPlanner", "PlannerError"]

_TOOL_ALIASES: dict[str, ToolName] = {
    "ideas": "search_ideas",
    "recipes": "search_ideas",
    "search_recipes": "search_ideas",
    "shopping": "search_products",
    "products": "search_products",
    "search_shopping": "search_products",
    "video": "search_videos",
    "videos": "search_videos",
    "search_video": "search_videos",
    "search_movies": "search_videos",
}
_VOCAB_SHOWN = 30


class DraftFilters(BaseModel):
    """Filters the request states outright. Anything it does not state stays null or empty."""

    model_config = ConfigDict(extra="forbid")

    price_min: float | None = Field(None, description="Lowest price in dollars, if stated.")
    price_max: float | None = Field(None, description="Highest price in dollars, if stated.")
    colors: list[str] = Field(
        default_factory=list, max_length=3, description="Product colours named in the request."
    )
    brands: list[str] = Field(
        default_factory=list, max_length=3, description="Product brands named in the request."
    )
    category: str | None = Field(
        None, description="Product category or film genre named in the request."
    )
    duration_max_min: int | None = Field(
        None, description="Longest video length in minutes, if stated."
    )
    diet: list[str] = Field(
        default_factory=list, max_length=3, description="Diets named for recipes, e.g. vegetarian."
    )
    year_min: int | None = Field(None, description="Earliest release year of a film, if stated.")
    year_max: int | None = Field(None, description="Latest release year of a film, if stated.")
    total_time_max_min: int | None = Field(
        None, description="Longest recipe preparation time in minutes, if stated."
    )


class DraftSubQuery(BaseModel):
    """One intent of the request, routed to one tool."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=200, description="Short search words, without filter words.")
    tool: ToolName = Field(
        description="search_ideas: recipes, how-tos; search_products: things to buy; "
        "search_videos: films and videos."
    )
    filters: DraftFilters = Field(description="Filters stated for this intent only.")

    @field_validator("tool", mode="before")
    @classmethod
    def _known_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _TOOL_ALIASES.get(value.strip().lower(), value.strip())
        return value


class DraftPlan(BaseModel):
    """The model's plan: one sub-query per intent, at most four."""

    model_config = ConfigDict(extra="forbid")

    subqueries: list[DraftSubQuery] = Field(
        min_length=1, max_length=4, description="One entry per intent in the request."
    )


def _top(table: dict[str, int]) -> str:
    values = sorted(table, key=lambda k: (-table[k], k))[:_VOCAB_SHOWN]
    return ", ".join(values) if values else "(none)"


def _hints(understood: Understanding) -> str:
    lines = []
    for segment in understood.segments:
        found = segment.filters.describe()
        where = segment.vertical or "unclear"
        lines.append(f'- "{segment.text}": {where}' + (f" ({found})" if found else ""))
    return "\n".join(lines) if lines else "- (nothing found)"


class LLMPlanner:
    """Plans with an LLM, grounded in the request and the catalog; raises `PlannerError`."""

    def __init__(self, llm: LLMClient) -> None:
        self._llm = llm
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
                system=system, user=user, schema=DraftPlan, budget=budget, name="plan"
            )
        except LLMError as exc:
            raise PlannerError(f"LLM planner failed: {exc}") from exc
        try:
            return ground_plan(
                draft, understood, vocab, understood.text, history=history[-3:], planner=self.name
            )
        except ValidationError as exc:
            raise PlannerError(f"LLM plan could not be grounded: {exc}") from exc
