"""Lexical retrieval over the FTS5 table: safe query building, BM25 ranking, browsing.

User text is never parsed as FTS5 syntax: it is split into word terms, stopwords are
dropped (so "ideas for a bedroom" still matches), each term is double-quoted and the
terms are OR-ed; BM25 then rewards items matching more of them. Filters arrive as an
SQL predicate and are applied inside the same query, before the LIMIT.
"""

from __future__ import annotations

import re

from tools.pushdown import SqlPredicate
from tools.store import ItemStore

MAX_TERMS = 32
COLUMN_WEIGHTS = (4.0, 1.0, 2.0, 1.5)
"""BM25 weights of the FTS columns: title, description, tags, extra."""

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further get got had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our
    ours out over own please same she should show so some such than that the their theirs
    them then there these they this those through to too under until up very want was we
    were what when where which while who whom why will with would you your yours""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(text: str) -> list[str]:
    """Lower-cased word terms of `text`, stopwords dropped unless nothing else is left."""
    words = [w.lower() for w in _WORD.findall(text) if w.strip("_")]
    words = [w for w in words if len(w) > 1 or w.isdigit()]
    kept = [w for w in words if w not in STOPWORDS] or words
    unique = list(dict.fromkeys(kept))
    return unique[:MAX_TERMS]


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH string of quoted, OR-ed terms, or None when the text has no words."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def lexical_search(
    store: ItemStore, vertical: str, text: str, where: SqlPredicate, limit: int
) -> list[tuple[str, float]]:
    """(id, score) best first; score is the negated BM25, so higher is better."""
    expression = match_expression(text)
    if expression is None or limit <= 0:
        return []
    weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
    sql = (
        f"SELECT i.id, bm25(items_fts, {weights}) AS rank FROM items_fts "
        "JOIN items i ON i.rid = items_fts.rowid "
        f"WHERE items_fts MATCH ? AND i.vertical = ? AND ({where.sql}) "
        "ORDER BY rank, i.id LIMIT ?"
    )
    rows = store.read(sql, (expression, vertical, *where.params, limit))
    return [(str(r[0]), -float(r[1])) for r in rows]


def browse(store: ItemStore, vertical: str, where: SqlPredicate, limit: int) -> list[str]:
    """Ids of filtered items in a stable default order: rating, then title, then id."""
    sql = (
        "SELECT i.id FROM items i "
        f"WHERE i.vertical = ? AND ({where.sql}) "
        "ORDER BY i.rating IS NULL, i.rating DESC, i.title COLLATE NOCASE, i.id LIMIT ?"
    )
    return [str(r[0]) for r in store.read(sql, (vertical, *where.params, limit))]
