"""The shapes a request passes through: request, plan, tool results, modules, page.

`Page` is the public JSON contract shared by `tessera search --json`,
`POST /v1/search`, the eval harness and every client: extend it, don't break it.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.catalog import CatalogItem, Idea, Product, Vertical, Video
from tools.filters import Filters

ToolName = Literal["search_ideas", "search_products", "search_videos"]
TOOL_VERTICAL: dict[ToolName, Vertical] = {
    "search_ideas": "ideas",
    "search_products": "shopping",
    "search_videos": "video",
}
VERTICAL_TOOL: dict[Vertical, ToolName] = {v: k for k, v in TOOL_VERTICAL.items()}


class SearchRequest(BaseModel):
    """One request from a person: text, optional filters and a thread to continue."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=10_000, description="What the person typed.")
    filters: Filters = Field(default_factory=Filters, description="Explicit filters.")
    thread_id: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200)
    image: str | None = Field(
        default=None,
        max_length=15_000_000,
        description="An image: a local path, a file:// URL or a data:image/... base64 URL.",
    )
    k: int = Field(default=8, ge=1, le=50, description="Items per module.")


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


class Plan(BaseModel):
    """The planner's decision: 1-4 sub-queries and who made it."""

    subqueries: list[SubQuery] = Field(min_length=1, max_length=4)
    planner: str = Field(description="rule, llm:<model> or fallback reason.")
    confidence: float = Field(default=1.0, ge=0, le=1)


class Hit(BaseModel):
    """One retrieved item with its fused score and the ranks behind it."""

    item: CatalogItem
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    relevance: float | None = Field(
        default=None, ge=0, le=1, description="Calibrated probability of relevance (ltr only)."
    )


class ToolResult(BaseModel):
    """What one tool returned for one sub-query (or why it did not)."""

    subquery: SubQuery
    hits: list[Hit] = Field(default_factory=list)
    error: str | None = None
    elapsed_ms: float = 0.0


class ResultItem(BaseModel):
    """An item as shown on the page: flat, every vertical's display fields."""

    id: str
    vertical: str
    title: str
    score: float
    description: str = ""
    url: str | None = None
    image_url: str | None = None
    price: float | None = None
    currency: str | None = None
    brand: str | None = None
    colors: list[str] = Field(default_factory=list)
    availability: str | None = None
    rating: float | None = None
    duration_s: int | None = None
    creator: str | None = None
    year: int | None = None
    genre: list[str] = Field(default_factory=list)
    total_time_min: int | None = None
    diet: list[str] = Field(default_factory=list)
    category: str | None = None

    @classmethod
    def from_hit(cls, hit: Hit) -> ResultItem:
        item = hit.item
        base: dict[str, Any] = {
            "id": item.id,
            "vertical": item.vertical,
            "title": item.title,
            "score": round(hit.score, 6),
            "description": item.description[:300],
            "url": item.url,
            "image_url": item.image_url,
        }
        if isinstance(item, Product):
            base |= {
                "price": item.price,
                "currency": item.currency,
                "brand": item.brand,
                "colors": item.colors,
                "availability": item.availability,
                "rating": item.rating,
                "category": " > ".join(item.category_path) or None,
            }
        elif isinstance(item, Video):
            base |= {
                "duration_s": item.duration_s,
                "creator": item.creator,
                "year": item.published.year if item.published else None,
                "genre": item.genre,
                "rating": item.rating,
            }
        elif isinstance(item, Idea):
            base |= {
                "total_time_min": item.total_time_min,
                "diet": item.diet,
                "category": item.category,
            }
        return cls.model_validate(base)


class Module(BaseModel):
    """A titled group of items on the page, built from one sub-query."""

    id: str
    title: str
    vertical: str
    reason: str = Field(description="Why this module is on the page.")
    score: float = 0.0
    subquery: str = ""
    relaxed: list[str] = Field(default_factory=list)
    items: list[ResultItem] = Field(default_factory=list)


class TraceStep(BaseModel):
    """One step of the graph, as shown in the trace and streamed to clients."""

    name: str
    detail: str = ""
    elapsed_ms: float = 0.0
    ok: bool = True


class LLMUsage(BaseModel):
    """One LLM call: what it was for, how long it took, what it cost, how it ended."""

    name: str
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    outcome: str = "ok"


class Trace(BaseModel):
    """How the page was made: planner, steps, LLM use and timings."""

    planner: str = "rule"
    steps: list[TraceStep] = Field(default_factory=list)
    llm_calls: int = 0
    llm_tokens: int = 0
    llm: list[LLMUsage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="Sub-queries that found nothing good enough to show."
    )
    cache: dict[str, int] = Field(default_factory=dict)
    personalisation: dict[str, Any] = Field(
        default_factory=dict, description="Whether and how much a profile moved each module."
    )
    image: dict[str, Any] = Field(
        default_factory=dict, description="What was read from an image query."
    )


class Page(BaseModel):
    """One page of results: ranked modules, related searches and the trace."""

    query: str
    page_id: str = Field(
        default_factory=lambda: uuid.uuid4().hex, description="Echo it back with events."
    )
    thread_id: str | None = None
    user_id: str | None = None
    modules: list[Module] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    trace: Trace = Field(default_factory=Trace)
