"""One SQLite file of logs under the data directory: connection, schema, locked reads and writes.

`EventStore` and `ImpressionLog` share the file `events.sqlite`; each is a
`SqliteLog` with its own schema. A connection is WAL-mode and usable from any
thread; a lock serialises access, and writes run in one IMMEDIATE transaction.
Deleted rows are zeroed on disk (`secure_delete`), so forgetting a user leaves no
readable copy once the log is checkpointed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

EVENTS_FILE = "events.sqlite"


class EventStoreError(RuntimeError):
    """The events database cannot be opened or written."""


def events_path(root: Path) -> Path:
    """Where engagement events, profiles and impressions live under the data directory."""
    return Path(root).expanduser() / EVENTS_FILE


def connect(path: Path) -> sqlite3.Connection:
    """A WAL-mode connection usable from any thread (callers serialise access)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA secure_delete=ON")
    except (OSError, sqlite3.Error) as exc:
        raise EventStoreError(
            f"cannot open the events database at {path} ({exc}); check that TESSERA_HOME "
            "points to a writable directory"
        ) from exc
    return conn


def create_schema(conn: sqlite3.Connection, schema: str, path: Path) -> None:
    """Create tables if missing; a file that is not a database gets a clear error."""
    try:
        conn.executescript(schema)
    except sqlite3.Error as exc:
        conn.close()
        raise EventStoreError(
            f"{path} is not a usable events database ({exc}); move it aside and restart"
        ) from exc


class SqliteLog:
    """A table set in one SQLite file; subclasses name their `SCHEMA`."""

    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        create_schema(self._conn, self.SCHEMA, self.path)

    @classmethod
    def in_dir(cls, root: Path) -> Self:
        """The log in the data directory `root` (`events.sqlite`)."""
        return cls(events_path(root))

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise EventStoreError(
                    f"events database write failed at {self.path}: {exc}"
                ) from exc
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file and truncate it (after deleting a user)."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
