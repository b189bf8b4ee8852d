"""How one catalog item becomes rows in each backend.

A single place decides the text that is embedded, the text FTS5 indexes, the real
SQL columns used by filters, the multi-valued facet values and the Chroma metadata,
so the lexical and dense sides always agree on what a filter means.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, Field

from tools.catalog import CatalogItem, Idea, Product, Video

ROW_FORMAT = "tessera-rows-2"
"""Bump when the derived text or columns change: every row then re-indexes."""

MetadataValue = str | int | float | bool | list[str] | None
_WORD = re.compile(r"\w+")


class ItemRow(BaseModel):
    """The derived, backend-ready view of one item."""

    vertical: str
    id: str
    json_text: str
    content_hash: str
    title: str
    rating: float | None = None
    price: float | None = None
    availability: str | None = None
    brand_lc: str | None = None
    duration_s: int | None = None
    year: int | None = None
    total_time_min: int | None = None
    facets: list[tuple[str, str]] = Field(default_factory=list, description="(facet, value)")
    fts_description: str = ""
    fts_tags: str = ""
    fts_extra: str = ""
    embed_text: str = ""


def _lower_unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        norm = value.strip().lower()
        if norm:
            seen.setdefault(norm, None)
    return list(seen)


def embed_text(title: str, description: str, terms: list[str]) -> str:
    """What the dense side embeds: the title, the description, then each tag or field value
    that adds a word they have not said. A value repeated from the text (a recipe's
    ingredients, which its description lists; a film's director and genres, which its
    description and tags name) only costs encoder time and pulls the vector towards the
    repetition."""
    said = set(_WORD.findall(f"{title} {description}".lower()))
    novel: list[str] = []
    for term in terms:
        words = set(_WORD.findall(term.lower()))
        if words - said:
            novel.append(term.strip())
            said |= words
    return ". ".join(part for part in (title, description, ", ".join(novel)) if part)


def build_row(item: CatalogItem) -> ItemRow:
    """Derive every backend representation of `item`."""
    json_text = item.model_dump_json()
    digest = hashlib.sha256(f"{ROW_FORMAT}\n{json_text}".encode()).hexdigest()
    row = ItemRow(
        vertical=item.vertical,
        id=item.id,
        json_text=json_text,
        content_hash=digest,
        title=item.title,
        fts_description=item.description,
        fts_tags=" ".join(item.tags),
    )
    extra: list[str] = []
    terms: list[str] = []
    if isinstance(item, Product):
        categories = _lower_unique(item.category_path)
        row.price, row.availability, row.rating = item.price, item.availability, item.rating
        row.brand_lc = item.brand.strip().lower() if item.brand and item.brand.strip() else None
        row.facets = [("color", c) for c in _lower_unique(item.colors)]
        row.facets += [("category", c) for c in categories]
        if row.brand_lc:
            row.facets.append(("brand", row.brand_lc))
        extra = [item.brand or "", " ".join(item.category_path), " ".join(item.colors)]
        terms = [item.brand or "", *item.category_path, *item.colors]
    elif isinstance(item, Idea):
        row.total_time_min = item.total_time_min
        row.facets = [("diet", d) for d in _lower_unique(item.diet)]
        row.facets += [("category", c) for c in _lower_unique([item.category or ""])]
        kind = item.kind if item.kind != "idea" else ""
        extra = [item.category or "", kind, " ".join(item.ingredients), " ".join(item.diet)]
        terms = [item.category or "", kind, *item.diet, *item.ingredients]
    elif isinstance(item, Video):
        row.duration_s, row.rating = item.duration_s, item.rating
        row.year = item.published.year if item.published else None
        row.facets = [("category", g) for g in _lower_unique(item.genre)]
        extra = [item.creator or "", " ".join(item.genre)]
        terms = [item.creator or "", *item.genre]
    row.fts_extra = " ".join(part for part in extra if part)
    row.embed_text = embed_text(item.title, item.description, [*item.tags, *terms])
    return row


def chroma_metadata(row: ItemRow) -> dict[str, MetadataValue]:
    """Metadata for Chroma, with every key of the vertical present.

    Chroma's upsert merges metadata, so absent values are sent as None (which deletes
    the key) rather than omitted; empty lists are likewise sent as None.
    """
    lists: dict[str, list[str]] = {}
    for facet, value in row.facets:
        lists.setdefault(facet, []).append(value)
    meta: dict[str, MetadataValue] = {"category": lists.get("category") or None}
    if row.vertical == "shopping":
        meta |= {
            "price": row.price,
            "availability": row.availability,
            "brand": row.brand_lc,
            "rating": row.rating,
            "color": lists.get("color") or None,
        }
    elif row.vertical == "ideas":
        meta |= {"total_time_min": row.total_time_min, "diet": lists.get("diet") or None}
    elif row.vertical == "video":
        meta |= {"duration_s": row.duration_s, "year": row.year}
    return meta
