"""The catalog's own facet vocabulary: the values taggers and planners may ground to.

Built by the index from what is actually indexed, so a tagger never invents a
colour or brand the catalog does not have.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class FacetVocabulary(BaseModel):
    """Facet values with item counts, read from the indexed catalog."""

    colors: dict[str, int] = Field(default_factory=dict, description="Product colours.")
    brands: dict[str, int] = Field(default_factory=dict, description="Product brands.")
    categories: dict[str, int] = Field(
        default_factory=dict, description="Product category path elements, lower-cased."
    )
    idea_categories: dict[str, int] = Field(default_factory=dict)
    genres: dict[str, int] = Field(default_factory=dict, description="Video genres.")
    diets: dict[str, int] = Field(default_factory=dict, description="Idea diets.")
    price_range: tuple[float, float] | None = None
    year_range: tuple[int, int] | None = Field(
        default=None, description="Oldest and newest video year: what 'recent' is relative to."
    )
    counts: dict[str, int] = Field(default_factory=dict, description="Items per vertical.")

    def has(self, facet: str, value: str) -> bool:
        """True when `value` occurs under `facet` (case-insensitive)."""
        table: dict[str, int] = getattr(self, facet)
        return value.lower() in table
