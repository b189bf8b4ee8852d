"""Catalog schema: the three verticals Tessera indexes, as typed pydantic models.

Every row shares id, title, description, tags, image_url, url and created; each
vertical adds its own fields. `CatalogItem` is the discriminated union used
wherever a row of any vertical crosses a boundary.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Vertical = Literal["ideas", "shopping", "video"]
VERTICALS: tuple[Vertical, ...] = ("ideas", "shopping", "video")
Availability = Literal["in_stock", "out_of_stock", "preorder"]


class BaseItem(BaseModel):
    """Fields every catalog row carries, whatever its vertical."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200, description="Stable id, unique per vertical.")
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=20_000)
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    url: str | None = None
    created: datetime | None = None

    @field_validator("tags", mode="after")
    @classmethod
    def _clean_tags(cls, tags: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for tag in tags:
            norm = tag.strip().lower()
            if norm:
                seen.setdefault(norm, None)
        return list(seen)


class Idea(BaseItem):
    """An idea: a recipe, a how-to, an inspiration board."""

    vertical: Literal["ideas"] = "ideas"
    kind: str = Field(default="idea", description="recipe, how-to, inspiration ...")
    category: str | None = None
    ingredients: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    total_time_min: int | None = Field(default=None, ge=0, le=60 * 24 * 14)
    servings: int | None = Field(default=None, ge=0)
    diet: list[str] = Field(default_factory=list, description="vegetarian, vegan, ...")


class Product(BaseItem):
    """A shoppable product (one sellable variant or a product with its best offer)."""

    vertical: Literal["shopping"] = "shopping"
    price: float | None = Field(default=None, ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    brand: str | None = None
    colors: list[str] = Field(default_factory=list)
    category_path: list[str] = Field(default_factory=list)
    availability: Availability = "in_stock"
    rating: float | None = Field(default=None, ge=0, le=5)

    @field_validator("colors", mode="after")
    @classmethod
    def _lower_colors(cls, colors: list[str]) -> list[str]:
        return [c.strip().lower() for c in colors if c.strip()]


class Video(BaseItem):
    """A video: a film, a talk, a clip."""

    vertical: Literal["video"] = "video"
    duration_s: int | None = Field(default=None, ge=0)
    creator: str | None = None
    published: date | None = None
    genre: list[str] = Field(default_factory=list)
    rating: float | None = Field(default=None, ge=0, le=5, description="Quality, 0-5.")


CatalogItem = Annotated[Idea | Product | Video, Field(discriminator="vertical")]
ITEM_TYPES: dict[Vertical, type[Idea] | type[Product] | type[Video]] = {
    "ideas": Idea,
    "shopping": Product,
    "video": Video,
}
