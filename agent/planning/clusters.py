"""Aspects without the LLM: the catalog's own categories, genres and facets near a request.

When no LLM can open a broad intent (rule planner, server down, breaker open,
no slot free), the request is searched by meaning alone in every vertical and
the items near it (cosine at least `TESSERA_EXPLORE_GROUP_SIMILARITY`) are split by
the catalog's own grouping: a recipe's category, a product's leaf category, a
film's first genre. Each group of at least `MIN_GROUP` items not already on the
page becomes a module titled from the group's name ("Burger night ·
sandwiches"), best groups (closest mean cosine) first, at most `PER_VERTICAL` a
vertical so the page spans the catalog. A group is shown only when its name is itself
among the nearest `NAME_SHARE` of its vertical's names to the request
(`agent/quality/category_names.py`): "Scary Movie" is near "scary movies for a
sleepover" by its words, but comedy is not what the request asks for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel

from agent.models import Module, ResultItem
from agent.quality.aspect_ground import NOUN, headline
from agent.quality.category_names import nearer_share
from tools.catalog import VERTICALS, CatalogItem, Idea, Product, Vertical, Video
from tools.contract import Hit

if TYPE_CHECKING:
    from agent.deps import Deps

MIN_GROUP = 3
MAX_GROUPS = 4
PER_VERTICAL = 2
POOL = 40
GROUP_WEIGHT = 0.6
"""The page score of a group module, scaled by its mean cosine: below the request's own
modules and the LLM's grounded aspects."""
NAME_SHARE = 0.25
"""A group's name must be among this share of its vertical's names nearest the request."""


class Cluster(BaseModel):
    """One group of near items under a catalog name."""

    name: str
    vertical: Vertical
    hits: list[Hit]

    @property
    def closeness(self) -> float:
        return sum(h.similarity or 0.0 for h in self.hits) / max(len(self.hits), 1)


def group_name(item: CatalogItem) -> str | None:
    """The catalog's own name for the item's group, or None when it has none."""
    if isinstance(item, Idea):
        return item.category
    if isinstance(item, Product):
        return item.category_path[-1] if item.category_path else None
    if isinstance(item, Video):
        return item.genre[0] if item.genre else None
    return None


def clusters(hits_by_vertical: dict[Vertical, list[Hit]], floor: float) -> list[Cluster]:
    """Groups of near hits by catalog name, closest first."""
    groups: dict[tuple[Vertical, str], list[Hit]] = {}
    names: dict[tuple[Vertical, str], str] = {}
    for vertical, hits in hits_by_vertical.items():
        for hit in hits:
            name = " ".join((group_name(hit.item) or "").split())
            if name and (hit.similarity or 0.0) >= floor:
                key = (vertical, name.lower())
                names.setdefault(key, name)
                groups.setdefault(key, []).append(hit)
    found = [Cluster(name=names[key], vertical=key[0], hits=h) for key, h in groups.items()]
    return sorted(found, key=lambda c: -c.closeness)


async def near_items(deps: Deps, request: str) -> dict[Vertical, list[Hit]]:
    """Each vertical's items nearest in meaning to `request`."""

    def search(vertical: Vertical) -> list[Hit]:
        try:
            return deps.index.search(vertical, request, k=POOL, mode="dense")
        except Exception:  # noqa: BLE001 - a vertical that cannot search adds no groups
            return []

    found = await asyncio.gather(*(asyncio.to_thread(search, v) for v in VERTICALS))
    return dict(zip(VERTICALS, found, strict=True))


def name_shares(deps: Deps, request: str, found: list[Cluster]) -> dict[Vertical, dict[str, float]]:
    """For each vertical with a group, the share of its names nearer to `request` than
    each name (`category_names.nearer_share`); a vertical whose names cannot be read is
    left out (its groups are then judged by their items alone)."""
    shares: dict[Vertical, dict[str, float]] = {}
    for vertical in dict.fromkeys(c.vertical for c in found):
        try:
            shares[vertical] = nearer_share(deps.index, vertical, request)
        except Exception:  # noqa: BLE001 - unread names leave the items to judge
            continue
    return shares


def cluster_modules(
    request: str,
    found: list[Cluster],
    seen: dict[tuple[str, str], str],
    k: int,
    shares: Mapping[Vertical, Mapping[str, float]] | None = None,
) -> tuple[list[Module], list[str]]:
    """Modules from the best groups, items not already on the page; and one trace line
    per group kept or dropped. With `shares` (`name_shares`), a group whose name is not
    among the nearest `NAME_SHARE` of its vertical's names is dropped."""
    modules: list[Module] = []
    notes: list[str] = []
    for cluster in found:
        items = [
            ResultItem.from_hit(h) for h in cluster.hits if (h.item.vertical, h.item.id) not in seen
        ]
        label = f"{cluster.vertical}/{cluster.name}"
        if len(modules) >= MAX_GROUPS:
            continue
        if sum(m.vertical == cluster.vertical for m in modules) >= PER_VERTICAL:
            notes.append(f"{label}: dropped (enough {cluster.vertical} groups)")
            continue
        if len(items) < MIN_GROUP:
            notes.append(f"{label}: dropped ({len(items)} new item(s))")
            continue
        share = (shares or {}).get(cluster.vertical, {}).get(cluster.name.lower())
        if share is not None and share > NAME_SHARE:
            notes.append(f"{label}: dropped (its name is far from the request: {share:.2f})")
            continue
        module = Module(
            id=f"g{len(modules) + 1}",
            title=f"{headline(request)} · {cluster.name}",
            vertical=cluster.vertical,
            reason=f"{NOUN.get(cluster.vertical, 'More')} for {request.strip()}: {cluster.name}",
            subquery=request,
            items=items[:k],
            aspect=cluster.name,
            score=round(GROUP_WEIGHT * cluster.closeness, 4),
        )
        for item in module.items:
            seen[(item.vertical, item.id)] = module.title
        modules.append(module)
        notes.append(f"{label}: kept (cosine {cluster.closeness:.2f})")
    return modules, notes
