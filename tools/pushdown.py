"""Filters pushed down into both backends: a Chroma `where` clause and an SQL predicate.

Both translations read the same derived fields (`tools.rows`), so the dense and the
lexical side select exactly the same items. A filter on a field the vertical lacks is
ignored for that vertical; an item whose field is missing fails a range filter on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tools.catalog import Vertical
from tools.filters import Filters

Where = dict[str, Any]

FIELDS_BY_VERTICAL: dict[Vertical, frozenset[str]] = {
    "shopping": frozenset(
        {"price_min", "price_max", "colors", "brands", "category", "availability"}
    ),
    "ideas": frozenset({"category", "total_time_max_min", "diet"}),
    "video": frozenset({"category", "duration_min_s", "duration_max_s", "year_min", "year_max"}),
}
RANGES: dict[str, tuple[str, str]] = {
    "price_min": ("price", ">="),
    "price_max": ("price", "<="),
    "duration_min_s": ("duration_s", ">="),
    "duration_max_s": ("duration_s", "<="),
    "year_min": ("year", ">="),
    "year_max": ("year", "<="),
    "total_time_max_min": ("total_time_min", "<="),
}
CHROMA_OPS = {">=": "$gte", "<=": "$lte"}


class SqlPredicate(BaseModel):
    """An SQL boolean expression over the `items` table aliased `i`, with its parameters."""

    sql: str = "1"
    params: list[Any] = Field(default_factory=list)


def applicable(vertical: Vertical, filters: Filters | None) -> Filters:
    """The part of `filters` that means something for `vertical`."""
    if filters is None:
        return Filters()
    keep = FIELDS_BY_VERTICAL[vertical]
    data = {k: v for k, v in filters.model_dump(exclude_defaults=True).items() if k in keep}
    return Filters.model_validate(data)


def _lowered(values: tuple[str, ...]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def chroma_where(vertical: Vertical, filters: Filters | None) -> Where | None:
    """A Chroma `where` clause, or None when nothing applies."""
    f = applicable(vertical, filters)
    clauses: list[Where] = []
    for name, (column, op) in RANGES.items():
        value = getattr(f, name)
        if value is not None:
            clauses.append({column: {CHROMA_OPS[op]: value}})
    if f.availability:
        clauses.append({"availability": {"$eq": f.availability}})
    if brands := _lowered(f.brands):
        clauses.append({"brand": {"$in": brands}})
    if colors := _lowered(f.colors):
        any_color: list[Where] = [{"color": {"$contains": c}} for c in colors]
        clauses.append(any_color[0] if len(any_color) == 1 else {"$or": any_color})
    if f.category and f.category.strip():
        clauses.append({"category": {"$contains": f.category.strip().lower()}})
    clauses.extend({"diet": {"$contains": d}} for d in _lowered(f.diet))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _facet_in(facet: str, values: list[str]) -> str:
    marks = ", ".join("?" for _ in values)
    return (
        "EXISTS (SELECT 1 FROM item_facets x WHERE x.rid = i.rid "
        f"AND x.facet = '{facet}' AND x.value IN ({marks}))"
    )


def sql_where(vertical: Vertical, filters: Filters | None) -> SqlPredicate:
    """An SQL predicate over `items i` (the vertical itself is constrained by the caller)."""
    f = applicable(vertical, filters)
    parts: list[str] = []
    params: list[Any] = []
    for name, (column, op) in RANGES.items():
        value = getattr(f, name)
        if value is not None:
            parts.append(f"i.{column} {op} ?")
            params.append(value)
    if f.availability:
        parts.append("i.availability = ?")
        params.append(f.availability)
    if brands := _lowered(f.brands):
        parts.append(f"i.brand_lc IN ({', '.join('?' for _ in brands)})")
        params.extend(brands)
    if colors := _lowered(f.colors):
        parts.append(_facet_in("color", colors))
        params.extend(colors)
    if f.category and f.category.strip():
        parts.append(_facet_in("category", [f.category.strip().lower()]))
        params.append(f.category.strip().lower())
    for diet in _lowered(f.diet):
        parts.append(_facet_in("diet", [diet]))
        params.append(diet)
    return SqlPredicate(sql=" AND ".join(parts) or "1", params=params)
