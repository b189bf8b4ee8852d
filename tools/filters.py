"""Search filters: one typed model pushed down into every backend.

A `Filters` value is what a planner, a request or a refinement asks for. The
index translates it into a Chroma `where` clause and an SQL predicate on the
lexical side, so filtering happens before truncation, never after. Unknown
fields are rejected (`extra="forbid"`), so a typo is an error, not a no-op.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tools.catalog import Availability, Vertical

MAX_LIST = 20
"""Values one list filter may hold: each becomes a clause in Chroma's and SQLite's queries."""

Value = Annotated[str, StringConstraints(max_length=100)]


class Filters(BaseModel):
    """Constraints on items. Each field applies only to verticals that have it.

    Numbers must be finite (no NaN or Infinity) and list filters hold at most
    `MAX_LIST` values, so a request can never build an unbounded query.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    price_min: float | None = Field(default=None, ge=0, description="Lowest price, inclusive.")
    price_max: float | None = Field(default=None, ge=0, description="Highest price, inclusive.")
    colors: tuple[Value, ...] = Field(
        default=(), max_length=MAX_LIST, description="Any of these colours."
    )
    brands: tuple[Value, ...] = Field(
        default=(), max_length=MAX_LIST, description="Any of these brands."
    )
    category: Value | None = Field(
        default=None, description="Category (product path element, recipe category or genre)."
    )
    availability: Availability | None = Field(default=None, description="Stock state.")
    duration_min_s: int | None = Field(default=None, ge=0, description="Shortest video, seconds.")
    duration_max_s: int | None = Field(default=None, ge=0, description="Longest video, seconds.")
    year_min: int | None = Field(default=None, ge=1800, le=2100, description="Earliest year.")
    year_max: int | None = Field(default=None, ge=1800, le=2100, description="Latest year.")
    total_time_max_min: int | None = Field(
        default=None, ge=0, description="Longest total preparation time, minutes."
    )
    diet: tuple[Value, ...] = Field(
        default=(), max_length=MAX_LIST, description="All of these diets."
    )

    @model_validator(mode="after")
    def _check_ranges(self) -> Self:
        pairs = (
            ("price_min", "price_max"),
            ("duration_min_s", "duration_max_s"),
            ("year_min", "year_max"),
        )
        for low, high in pairs:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is greater than {high} ({hi})")
        return self

    def is_empty(self) -> bool:
        """True when no constraint is set."""
        return not self.model_dump(exclude_defaults=True)

    def merged(self, other: Filters) -> Filters:
        """A copy with every field that `other` sets taking precedence."""
        return Filters.model_validate(
            {**self.model_dump(exclude_defaults=True), **other.model_dump(exclude_defaults=True)}
        )

    def without(self, *fields: str) -> Filters:
        """A copy with the named fields reset to their defaults."""
        data = self.model_dump(exclude_defaults=True)
        for name in fields:
            data.pop(name, None)
        return Filters.model_validate(data)

    def describe(self) -> str:
        """A short human phrase, e.g. 'red, under $20'."""
        parts: list[str] = []
        if self.colors:
            parts.append("/".join(self.colors))
        if self.brands:
            parts.append("by " + "/".join(self.brands))
        if self.category:
            parts.append(self.category)
        if self.diet:
            parts.append(", ".join(self.diet))
        if self.price_min is not None and self.price_max is not None:
            parts.append(f"${self.price_min:g}-${self.price_max:g}")
        elif self.price_max is not None:
            parts.append(f"under ${self.price_max:g}")
        elif self.price_min is not None:
            parts.append(f"over ${self.price_min:g}")
        if self.availability:
            parts.append(self.availability.replace("_", " "))
        if self.duration_max_s is not None:
            parts.append(f"under {self.duration_max_s // 60} min")
        if self.duration_min_s is not None:
            parts.append(f"over {self.duration_min_s // 60} min")
        if self.year_min is not None or self.year_max is not None:
            parts.append(f"{self.year_min or ''}-{self.year_max or ''}")
        if self.total_time_max_min is not None:
            parts.append(f"ready in {self.total_time_max_min} min")
        return ", ".join(parts)


# The filter fields each vertical has.
VERTICAL_FIELDS: dict[Vertical, frozenset[str]] = {
    "ideas": frozenset({"total_time_max_min", "diet", "category"}),
    "shopping": frozenset(
        {"price_min", "price_max", "colors", "brands", "category", "availability"}
    ),
    "video": frozenset({"duration_min_s", "duration_max_s", "year_min", "year_max", "category"}),
}


def filters_for(vertical: Vertical, filters: Filters) -> Filters:
    """Keep only the filters that apply to `vertical`. An upper bound on time is one
    quantity in either field: a film's running time read from "under an hour" becomes a
    recipe's total time when the plan sends the clause to recipes, and the other way."""
    data = filters.model_dump(exclude_defaults=True)
    if vertical == "ideas" and "total_time_max_min" not in data and "duration_max_s" in data:
        data["total_time_max_min"] = max(1, int(data["duration_max_s"]) // 60)
    if vertical == "video" and "duration_max_s" not in data and "total_time_max_min" in data:
        data["duration_max_s"] = int(data["total_time_max_min"]) * 60
    return Filters.model_validate({k: v for k, v in data.items() if k in VERTICAL_FIELDS[vertical]})
