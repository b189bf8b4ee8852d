"""Relevance judged from a catalog item's own fields, and whether a catalog can answer at all.

It serves the page suite's check that an intent has no answer in the catalog (the
relevance gate is fitted on people's judgments instead, `evals.gate_fit`): an item
answers a request when the request's head word (the last word of its noun phrase) and
its other content words (two thirds of them past two) occur in the item's structured
fields (title, tags, category or genre, brand, ingredients), never in its free
description alone.

>>> from tools.catalog import Product
>>> answers("rice cooker", Product(id="p1", title="Tea Kettle", price=20.0))
False
"""

from __future__ import annotations

import re

from agent.quality.relevance import head_word, query_terms, stem
from tools.catalog import CatalogItem, Vertical
from tools.index import CatalogIndex
from tools.rows import build_row

_WORD = re.compile(r"[a-z0-9]+")


def field_words(item: CatalogItem) -> set[str]:
    """The stemmed words of an item's structured fields."""
    row = build_row(item)
    text = f"{item.title} {row.fts_tags} {row.fts_extra}".lower()
    return {stem(w) for w in _WORD.findall(text)}


def answers(query: str, item: CatalogItem) -> bool:
    """True when `item` carries the query's head word and enough of its other words."""
    terms = query_terms(query)
    head = head_word(query)
    if not terms or head is None:
        return False
    words = field_words(item)
    need = len(terms) if len(terms) <= 2 else 2 * len(terms) / 3
    return head in words and len(terms & words) >= need


def catalog_answers(index: CatalogIndex, vertical: Vertical, query: str) -> bool:
    """Whether any item of `vertical` answers `query` (every item is read). A query with
    no content words of its own ('lunch', 'comedy' read as a filter) cannot be checked
    and counts as answered."""
    if not query_terms(query):
        return True
    total = index.count(vertical)
    if not total:
        return False
    return any(answers(query, hit.item) for hit in index.search(vertical, "", None, k=total))
