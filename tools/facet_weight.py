"""Facet precision on noisy multi-valued facets: a value listed late counts for less.

The starter films list genres in order of importance, and the tail is noisy
(Fargo, Reservoir Dogs and Terminator 2 list "Comedy" after four other genres).
A filter on such a facet still admits every item that lists the value, but ranks
items where it is primary above those where it only appears late: the weight of
a match at 0-based position p is 1 / (1 + p / 2), and browsing orders by p first.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.catalog import CatalogItem, Video
from tools.filters import Filters

POSITIONED: dict[str, str] = {"video": "genre"}
"""Vertical -> the item field whose list order the category filter weighs."""


def facet_position(values: Sequence[str], wanted: str) -> int | None:
    """0-based position of `wanted` in `values` (case-insensitive), None when absent."""
    target = wanted.strip().lower()
    for pos, value in enumerate(values):
        if value.strip().lower() == target:
            return pos
    return None


def position_weight(pos: int | None) -> float:
    """1 for the primary value, 2/3 for the second, 1/2 for the third, ... ."""
    return 1.0 if pos is None else 1.0 / (1.0 + pos / 2)


def item_weight(item: CatalogItem, filters: Filters | None) -> float:
    """The weight of `item` under `filters`' category on a positioned facet (1 otherwise)."""
    if filters is None or not filters.category or not isinstance(item, Video):
        return 1.0
    return position_weight(facet_position(item.genre, filters.category))


def position_sql(vertical: str) -> str | None:
    """An SQL expression over `items i` giving the wanted value's position (one parameter)."""
    field = POSITIONED.get(vertical)
    if field is None:
        return None
    return (
        f"(SELECT MIN(CAST(j.key AS INTEGER)) FROM json_each(i.json, '$.{field}') j "
        "WHERE lower(j.value) = ?)"
    )
