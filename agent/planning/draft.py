"""The LLM planner's own output schema, before grounding: a draft plan of routed intents.

`DraftPlan` is what the model is asked to return (its JSON schema constrains
decoding); `ground_plan` turns it into a `Plan` the request actually supports.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.contract import ToolName


class PlannerError(Exception):
    """The LLM planner could not produce a usable plan; the rule planner takes over."""


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
