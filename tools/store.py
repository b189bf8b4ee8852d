"""The SQLite side of the index: item rows, facet rows, the FTS5 table and the version.

One file (WAL mode) holds the source of truth for items: their JSON, a content hash,
real columns for range filters, a facet table for multi-valued fields and an FTS5
table over the searchable text. Each thread gets its own connection (WAL lets readers
run in parallel); writers are serialised by a lock and write in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.errors import UserError
from tools.facets import FacetVocabulary
from tools.rows import ItemRow
from tools.schema import COLUMNS, INIT_META, SCHEMA, SCHEMA_VERSION
from tools.terms import CatalogTerms, build_terms

REBUILD_HINT = "run `tessera index --starter` to build it"


class IndexUnavailable(UserError):
    """The index directory is missing, corrupt or built for another embedder."""


class ItemStore:
    """Typed access to the SQLite file; every method is safe to call from any thread."""

    def __init__(self, path: Path, *, create: bool) -> None:
        if not create and not path.is_file():
            raise IndexUnavailable(f"No index database at {path}: {REBUILD_HINT}.")
        self.path = path
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        try:
            conn = self._conn()
            conn.execute("PRAGMA journal_mode=WAL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "meta" not in tables and not create:
                raise IndexUnavailable(f"{path} holds no Tessera index: {REBUILD_HINT}.")
            if "meta" not in tables:
                with self._write_lock:
                    conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA}; {INIT_META}; COMMIT;")
            elif self.meta("schema") != SCHEMA_VERSION:
                raise IndexUnavailable(f"{path} has an unknown schema version: {REBUILD_HINT}.")
        except sqlite3.DatabaseError as exc:
            self.close()
            raise IndexUnavailable(
                f"The index database {path} is unreadable ({exc}); remove the directory "
                f"{path.parent} and {REBUILD_HINT}."
            ) from exc
        except IndexUnavailable:
            self.close()
            raise

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise IndexUnavailable(f"The index at {self.path.parent} is closed.")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on error."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query; a damaged file surfaces as IndexUnavailable."""
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(
                f"The index database {self.path} is damaged ({exc}); remove the directory "
                f"{self.path.parent} and {REBUILD_HINT}."
            ) from exc

    def meta(self, key: str) -> str | None:
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def version(self) -> int:
        return int(self.meta("version") or 0)

    def hashes(self, vertical: str, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT id, hash FROM items WHERE vertical = ? AND id IN ({marks})"
            out.update({r[0]: r[1] for r in self.read(sql, (vertical, *chunk))})
        return out

    def json_by_id(self, vertical: str, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT id, json FROM items WHERE vertical = ? AND id IN ({marks})"
            out.update({r[0]: r[1] for r in self.read(sql, (vertical, *chunk))})
        return out

    def ids(self, vertical: str) -> set[str]:
        return {r[0] for r in self.read("SELECT id FROM items WHERE vertical = ?", (vertical,))}

    def count(self, vertical: str | None = None) -> int:
        if vertical is None:
            return int(self.read("SELECT count(*) FROM items")[0][0])
        return int(self.read("SELECT count(*) FROM items WHERE vertical = ?", (vertical,))[0][0])

    def write(self, rows: Sequence[ItemRow]) -> None:
        """Insert or replace `rows` and bump the version, all in one transaction."""
        if not rows:
            return
        with self.transaction() as tx:
            for row in rows:
                values = [getattr(row, c) for c in COLUMNS]
                found = tx.execute(
                    "SELECT rid FROM items WHERE vertical = ? AND id = ?", (row.vertical, row.id)
                ).fetchone()
                if found:
                    rid = int(found[0])
                    sets = ", ".join(f"{c} = ?" for c in ("json", "hash", *COLUMNS))
                    tx.execute(
                        f"UPDATE items SET {sets} WHERE rid = ?",
                        (row.json_text, row.content_hash, *values, rid),
                    )
                    _drop_derived(tx, [rid])
                else:
                    cols = ", ".join(("vertical", "id", "json", "hash", *COLUMNS))
                    marks = ", ".join("?" for _ in range(len(COLUMNS) + 4))
                    cur = tx.execute(
                        f"INSERT INTO items ({cols}) VALUES ({marks})",
                        (row.vertical, row.id, row.json_text, row.content_hash, *values),
                    )
                    rid = int(cur.lastrowid or 0)
                tx.executemany(
                    "INSERT OR IGNORE INTO item_facets VALUES (?, ?, ?, ?)",
                    [(rid, row.vertical, f, v) for f, v in row.facets],
                )
                tx.execute(
                    "INSERT INTO items_fts (rowid, title, description, tags, extra) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (rid, row.title, row.fts_description, row.fts_tags, row.fts_extra),
                )
            _bump(tx)

    def delete(self, vertical: str, ids: Sequence[str]) -> int:
        """Delete rows by id; bumps the version when anything was removed."""
        removed = 0
        with self.transaction() as tx:
            for chunk in _chunks(list(ids)):
                marks = ", ".join("?" for _ in chunk)
                rids = [
                    int(r[0])
                    for r in tx.execute(
                        f"SELECT rid FROM items WHERE vertical = ? AND id IN ({marks})",
                        (vertical, *chunk),
                    )
                ]
                _drop_derived(tx, rids)
                tx.executemany("DELETE FROM items WHERE rid = ?", [(r,) for r in rids])
                removed += len(rids)
            if removed:
                _bump(tx)
        return removed

    def facet_vocabulary(self) -> FacetVocabulary:
        """Facet values with item counts, grouped the way taggers ground them."""
        tables: dict[tuple[str, str], str] = {
            ("shopping", "color"): "colors",
            ("shopping", "brand"): "brands",
            ("shopping", "category"): "categories",
            ("ideas", "category"): "idea_categories",
            ("ideas", "diet"): "diets",
            ("video", "category"): "genres",
        }
        data: dict[str, dict[str, int]] = {name: {} for name in tables.values()}
        sql = "SELECT vertical, facet, value, count(*) FROM item_facets GROUP BY 1, 2, 3"
        for vertical, facet, value, n in self.read(sql):
            name = tables.get((vertical, facet))
            if name:
                data[name][str(value)] = int(n)
        low, high = self.read(
            "SELECT min(price), max(price) FROM items WHERE vertical = 'shopping'"
        )[0]
        counts = {
            str(v): int(n)
            for v, n in self.read("SELECT vertical, count(*) FROM items GROUP BY vertical")
        }
        price_range = (float(low), float(high)) if low is not None else None
        first, last = self.read("SELECT min(year), max(year) FROM items WHERE vertical = 'video'")[
            0
        ]
        year_range = (int(first), int(last)) if first is not None else None
        return FacetVocabulary.model_validate(
            {**data, "price_range": price_range, "year_range": year_range, "counts": counts}
        )

    def terms(self) -> CatalogTerms:
        """The catalog's nouns from every title, its facets and its films' genre years."""
        titles = [(str(v), str(t)) for v, t in self.read("SELECT vertical, title FROM items")]
        sql = (
            "SELECT f.value, i.year FROM item_facets f JOIN items i ON i.rid = f.rid "
            "WHERE f.vertical = 'video' AND f.facet = 'category' AND i.year IS NOT NULL"
        )
        years = [(str(g), int(y)) for g, y in self.read(sql)]
        return build_terms(titles, self.facet_vocabulary(), years)

    def close(self) -> None:
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _drop_derived(tx: sqlite3.Connection, rids: list[int]) -> None:
    tx.executemany("DELETE FROM item_facets WHERE rid = ?", [(r,) for r in rids])
    tx.executemany("DELETE FROM items_fts WHERE rowid = ?", [(r,) for r in rids])


def _bump(tx: sqlite3.Connection) -> None:
    tx.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
