"""The shapes a request passes through: request, plan, tool results, modules, page.

The tools' own contract (`ToolName`, `SubQuery`, `Hit`) lives in `tools.contract`.

`Page` is the public JSON contract shared by `tessera search --json`,
`POST /v1/search`, the eval harness and every client: extend it, don't break it.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.trace import Trace
from tools.catalog import Idea, Product, Video
from tools.contract import Hit, SubQuery
from tools.filters import Filters
from tools.text_clean import strip_controls


class Spelling(BaseModel):
    """How a request was read after spelling correction ('Showing results for ...')."""

    original: str = Field(description="The request as typed (control characters removed).")
    corrected: str = Field(description="The request as searched.")


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
    exact: bool = Field(
        default=False, description="Search the words as typed: no spelling correction."
    )

    @field_validator("text")
    @classmethod
    def _printable(cls, text: str) -> str:
        """Control and format characters never enter the request (see `strip_controls`)."""
        return strip_controls(text)


class Plan(BaseModel):
    """The planner's decision: 1-4 sub-queries and who made it."""

    subqueries: list[SubQuery] = Field(min_length=1, max_length=4)
    planner: str = Field(description="rule, llm:<model> or fallback reason.")
    confidence: float = Field(default=1.0, ge=0, le=1)


class ToolResult(BaseModel):
    """What one tool returned for one sub-query (or why it did not)."""

    subquery: SubQuery
    hits: list[Hit] = Field(default_factory=list)
    error: str | None = None
    note: str | None = Field(default=None, description="How the search was degraded, if it was.")
    within_bounds: str | None = Field(
        default=None,
        description=(
            "Set when the hits are kept as the closest items inside the request's stated "
            "bounds although none carries all its words (those that do lie beyond the "
            "bounds): says so, for the module's reason. The relevance gate keeps them."
        ),
    )
    ladder: str | None = Field(
        default=None,
        description=(
            "Set when the strict search was weak and a looser step of the relaxation ladder "
            "found the items (`agent/nodes/ladder.py`): what it did, in the page's words."
        ),
    )
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
    signals: dict[str, float] = Field(
        default_factory=dict, description="The module ranker's inputs behind `score`."
    )
    aspect: str | None = Field(
        default=None, description="The aspect of a broad request this module shows ('fries')."
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
    spelling: Spelling | None = Field(
        default=None,
        description="Set when the request was searched with its spelling corrected; "
        "send it again with `exact` to search the words as typed.",
    )
    trace: Trace = Field(default_factory=Trace)
