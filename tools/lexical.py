"""Lexical retrieval over the FTS5 table: safe query building, BM25 ranking, browsing.

User text is never parsed as FTS5 syntax: it is split into word terms, stopwords are
dropped (so "ideas for a bedroom" still matches), each term is double-quoted and the
terms are OR-ed; BM25 then rewards items matching more of them. An irregular plural
brings its singular along ("mice" also searches "mouse"), which the porter stemmer
cannot reach. Filters arrive as an SQL predicate and are applied inside the same
query, before the LIMIT.
"""

from __future__ import annotations

import re
import threading

from tools.facet_weight import position_sql
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
IRREGULAR_PLURALS = {
    "mice": "mouse", "men": "man", "women": "woman", "children": "child", "feet": "foot",
    "teeth": "tooth", "knives": "knife", "leaves": "leaf", "shelves": "shelf", "loaves": "loaf",
}  # fmt: skip
"""Plurals the porter stemmer leaves apart from their singular."""


def query_terms(text: str) -> list[str]:
    """Lower-cased word terms of `text`, stopwords dropped unless nothing else is left."""
    words = [w.lower() for w in _WORD.findall(text) if w.strip("_")]
    words = [w for w in words if len(w) > 1 or w.isdigit()]
    kept = [w for w in words if w not in STOPWORDS] or words
    with_singulars = [s for w in kept for s in (w, IRREGULAR_PLURALS.get(w)) if s]
    unique = list(dict.fromkeys(with_singulars))
    return unique[:MAX_TERMS]


def match_expression(terms: list[str]) -> str | None:
    """An FTS5 MATCH string of quoted, OR-ed terms, or None when there are none."""
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


class LexicalSearcher:
    """BM25 search over the store's FTS table.

    In a large index, terms found in more than `common_fraction` of all rows add
    almost nothing to BM25 (their IDF is near zero) yet make it score most of the
    table, so they are left out of the query unless no other term remains. Document
    counts are cached until the index version changes.
    """

    def __init__(
        self, store: ItemStore, *, common_fraction: float = 0.25, min_rows: int = 2000
    ) -> None:
        self.store = store
        self.common_fraction = common_fraction
        self.min_rows = min_rows
        self._lock = threading.Lock()
        self._version = -1
        self._rows = 0
        self._doc_freq: dict[str, int] = {}

    def search(
        self, vertical: str, text: str, where: SqlPredicate, limit: int
    ) -> list[tuple[str, float]]:
        """(id, score) best first; score is the negated BM25, so higher is better."""
        return [(doc_id, score) for doc_id, score, _ in self._query(vertical, text, where, limit)]

    def search_fields(
        self, vertical: str, text: str, where: SqlPredicate, limit: int
    ) -> list[tuple[str, float, tuple[float, float, float, float]]]:
        """As `search`, with each row's negated BM25 of every column on its own as well."""
        return self._query(vertical, text, where, limit, per_field=True)

    def _query(
        self, vertical: str, text: str, where: SqlPredicate, limit: int, per_field: bool = False
    ) -> list[tuple[str, float, tuple[float, float, float, float]]]:
        expression = match_expression(self._useful_terms(query_terms(text)))
        if expression is None or limit <= 0:
            return []
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        columns = ""
        if per_field:
            alone = [
                ", ".join("1" if i == j else "0" for j in range(len(COLUMN_WEIGHTS)))
                for i in range(len(COLUMN_WEIGHTS))
            ]
            columns = "".join(f", bm25(items_fts, {w})" for w in alone)
        sql = (
            f"SELECT i.id, bm25(items_fts, {weights}) AS rank{columns} FROM items_fts "
            "JOIN items i ON i.rid = items_fts.rowid "
            f"WHERE items_fts MATCH ? AND i.vertical = ? AND ({where.sql}) "
            "ORDER BY rank, i.id LIMIT ?"
        )
        rows = self.store.read(sql, (expression, vertical, *where.params, limit))
        zero = (0.0, 0.0, 0.0, 0.0)
        return [
            (
                str(r[0]),
                -float(r[1]),
                (-float(r[2]), -float(r[3]), -float(r[4]), -float(r[5])) if per_field else zero,
            )
            for r in rows
        ]

    def _useful_terms(self, terms: list[str]) -> list[str]:
        if len(terms) < 2:
            return terms
        version = self.store.version
        with self._lock:
            if version != self._version:
                self._version, self._doc_freq = version, {}
                self._rows = self.store.count()
            rows, known = self._rows, dict(self._doc_freq)
        if rows < self.min_rows:
            return terms
        cap = int(self.common_fraction * rows) + 1
        for term in terms:
            if term not in known:
                known[term] = self._count(term, cap)
        with self._lock:
            if self._version == version and len(self._doc_freq) < 100_000:
                self._doc_freq.update({t: known[t] for t in terms})
        present = [t for t in terms if known[t] > 0]
        if not present:
            return []
        useful = [t for t in present if known[t] < cap]
        return useful or [min(present, key=lambda t: known[t])]

    def _count(self, term: str, cap: int) -> int:
        sql = "SELECT count(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)"
        return int(self.store.read(sql, (match_expression([term]), cap))[0][0])


def browse(
    store: ItemStore,
    vertical: str,
    where: SqlPredicate,
    limit: int,
    primary: str | None = None,
) -> list[str]:
    """Ids of filtered items in a stable default order: rating, then title, then id.

    With `primary` (a category value), items listing it earlier on the vertical's
    positioned facet come first (`tools.facet_weight`).
    """
    position = position_sql(vertical) if primary else None
    order = f"{position}, " if position else ""
    sql = (
        "SELECT i.id FROM items i "
        f"WHERE i.vertical = ? AND ({where.sql}) "
        f"ORDER BY {order}i.rating IS NULL, i.rating DESC, i.title COLLATE NOCASE, i.id LIMIT ?"
    )
    wanted = [primary.strip().lower()] if position and primary else []
    params = (vertical, *where.params, *wanted, limit)
    return [str(r[0]) for r in store.read(sql, params)]
