"""The tools' contract: tool names, the vertical each serves, sub-queries in and hits out.

The planner's tool enum is `ToolName`; a tool takes a `SubQuery` and returns `Hit`s.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.catalog import CatalogItem, Vertical
from tools.filters import Filters

ToolName = Literal["search_ideas", "search_products", "search_videos"]
TOOL_VERTICAL: dict[ToolName, Vertical] = {
    "search_ideas": "ideas",
    "search_products": "shopping",
    "search_videos": "video",
}
VERTICAL_TOOL: dict[Vertical, ToolName] = {v: k for k, v in TOOL_VERTICAL.items()}


class SubQuery(BaseModel):
    """One focused search routed to one tool."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable id within the plan, e.g. 'q1'.")
    text: str = Field(default="", description="Search text; empty browses by filters.")
    tool: ToolName
    filters: Filters = Field(default_factory=Filters)
    relaxed: list[str] = Field(default_factory=list, description="Filters relaxed to get results.")
    note: str = Field(default="", description="Why this sub-query exists.")
    weight: float = Field(
        default=1.0, ge=0, le=1, description="How sure the planner is this vertical is wanted."
    )

    @property
    def vertical(self) -> Vertical:
        return TOOL_VERTICAL[self.tool]


class Hit(BaseModel):
    """One retrieved item with its fused score and the ranks behind it."""

    item: CatalogItem
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    relevance: float | None = Field(
        default=None, ge=0, le=1, description="Calibrated probability of relevance (ltr only)."
    )
    similarity: float | None = Field(
        default=None, description="Cosine of the item's stored vector to the query's (dense)."
    )
