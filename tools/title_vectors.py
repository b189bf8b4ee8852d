"""Second-encoder title vectors for the learned ranker, in their own SQLite file.

The ranker compares a query with each candidate's title in a second embedding space
(multilingual e5, see `E5TitleEncoder`), beside MiniLM's. Those vectors are derived
data: a row holds an item's id, the content hash of the item it was computed from,
and the float32 vector. `TitleVectors.stale` names the items whose vector is missing or
was computed from other content, so re-indexing embeds only what changed; losing the
file costs only time (a vector that is absent leaves its ranker features missing), so
an unreadable file is moved aside and rebuilt.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
FILE_NAME = "title_vectors.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (
    vertical TEXT NOT NULL,
    id TEXT NOT NULL,
    hash TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (vertical, id)
);
"""


class TitleVectors:
    """Title vectors of one encoder, keyed by (vertical, id); safe to share across threads."""

    def __init__(self, path: Path, encoder: str, dim: int) -> None:
        """Open (or create) the file at `path`; vectors of another encoder are dropped."""
        self.path = Path(path)
        self.dim = dim
        self._lock = threading.Lock()
        try:
            self._conn = self._open(f"{encoder}:{dim}")
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(self.path.name + ".damaged")
            log.warning("title vectors at %s unreadable (%s); moved to %s, re-embedding",
                        self.path, exc, aside)  # fmt: skip
            self.path.replace(aside)
            self._conn = self._open(f"{encoder}:{dim}")

    def _open(self, expected: str) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        try:
            with conn as tx:
                tx.executescript(SCHEMA)
                found = tx.execute("SELECT value FROM meta WHERE key = 'encoder'").fetchone()
                if found is None or found[0] != expected:
                    tx.execute("DELETE FROM vectors")
                    tx.execute("INSERT OR REPLACE INTO meta VALUES ('encoder', ?)", (expected,))
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def stale(self, vertical: str, hashes: Mapping[str, str]) -> list[str]:
        """Ids of `hashes` (id -> content hash) whose stored vector is absent or outdated."""
        with self._lock:
            stored = dict(
                self._conn.execute(
                    "SELECT id, hash FROM vectors WHERE vertical = ?", (vertical,)
                ).fetchall()
            )
        return [i for i, h in hashes.items() if stored.get(i) != h]

    def put(
        self, vertical: str, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray
    ) -> None:
        """Store vectors (row k for ids[k]), replacing older ones, in one transaction."""
        vecs = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        rows = [(vertical, i, h, v.tobytes()) for i, h, v in zip(ids, hashes, vecs, strict=True)]
        with self._lock, self._conn as tx:
            tx.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    def get(self, vertical: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of those `ids` that have one."""
        out: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(ids))
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                for item_id, blob in self._conn.execute(
                    f"SELECT id, vec FROM vectors WHERE vertical = ? AND id IN ({marks})",
                    (vertical, *chunk),
                ):
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape == (self.dim,):
                        out[str(item_id)] = vec
        return out

    def prune(self, vertical: str, keep: set[str]) -> int:
        """Delete the vectors of items no longer in `keep`; returns how many."""
        with self._lock:
            ids = [r[0] for r in self._conn.execute(
                "SELECT id FROM vectors WHERE vertical = ?", (vertical,))]  # fmt: skip
        gone = [i for i in ids if i not in keep]
        with self._lock, self._conn as tx:
            tx.executemany(
                "DELETE FROM vectors WHERE vertical = ? AND id = ?", [(vertical, i) for i in gone]
            )
        return len(gone)

    def has(self, vertical: str) -> bool:
        """Whether any item of `vertical` has a vector (an indexed look-up, no scan)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM vectors WHERE vertical = ? LIMIT 1", (vertical,)
            ).fetchone()
        return row is not None

    def count(self, vertical: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM vectors WHERE vertical = ?", (vertical,)
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
