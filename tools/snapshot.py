"""The item store and lexical index as immutable, versioned snapshots.

A snapshot directory holds one folder per published version (`v0000000042-1a2b3c4d/`
with a finished `catalog.sqlite`) and a `CURRENT` file naming the live one.
`tessera index` copies the live snapshot into a private build folder, updates it,
seals it (rollback journal, no WAL, analysed) and publishes it by renaming the
folder into place and then replacing `CURRENT` atomically. Readers never see a
half-built file: a worker's `SnapshotStore` opens the file read-only and immutable
and, at most every `poll_s`, swaps to a newer `CURRENT` without a restart. The
store's version is the snapshot's version, so caches keyed by it turn over.

    snaps = Snapshots(Path("/srv/tessera/snapshots"))
    build = snaps.begin()              # a copy of the live snapshot, writable
    ... write items into build / "catalog.sqlite" ...
    name = snaps.publish(build)        # readers pick it up within poll_s
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.store import REBUILD_HINT, IndexUnavailable, ItemStore

CURRENT = "CURRENT"
DB_NAME = "catalog.sqlite"
KEEP = 3


class Snapshots:
    """One snapshot directory: what is live, how to build the next, how to publish it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def current(self) -> str | None:
        """The live snapshot's folder name, or None before the first publish."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def db_path(self, name: str) -> Path:
        return self.root / name / DB_NAME

    def begin(self) -> Path:
        """A private build folder holding a writable copy of the live snapshot (if any)."""
        self.root.mkdir(parents=True, exist_ok=True)
        build = self.root / f".build-{uuid.uuid4().hex[:12]}"
        build.mkdir()
        live = self.current()
        if live is not None:
            source = sqlite3.connect(f"file:{self.db_path(live)}?mode=ro&immutable=1", uri=True)
            target = sqlite3.connect(build / DB_NAME)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
        return build

    def publish(self, build: Path) -> str:
        """Seal `build`, move it into place and make it live; returns its name."""
        db = build / DB_NAME
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("ANALYZE")
            row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        finally:
            conn.close()
        version = int(row[0]) if row else 0
        name = f"v{version:010d}-{uuid.uuid4().hex[:8]}"
        for leftover in ("-wal", "-shm"):
            Path(f"{db}{leftover}").unlink(missing_ok=True)
        fsync_path(db)
        os.replace(build, self.root / name)
        pointer = self.root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        pointer.write_text(name + "\n", encoding="utf-8")
        fsync_path(pointer)
        os.replace(pointer, self.root / CURRENT)
        fsync_path(self.root)
        self._prune(name)
        return name

    def discard(self, build: Path) -> None:
        """Remove a build that will not be published."""
        shutil.rmtree(build, ignore_errors=True)

    def _prune(self, live: str) -> None:
        names = sorted(p.name for p in self.root.glob("v*") if p.is_dir() and p.name != live)
        for name in names[: max(0, len(names) - (KEEP - 1))]:
            shutil.rmtree(self.root / name, ignore_errors=True)


class ReadOnlyItemStore(ItemStore):
    """An `ItemStore` over a sealed snapshot file: immutable, read-only connections."""

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise IndexUnavailable(f"The snapshot {self.path.parent} is closed.")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro&immutable=1",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        raise IndexUnavailable(
            f"the snapshot {self.path.parent} is read-only: publish a new one with `tessera index`"
        )
        yield  # pragma: no cover


class SnapshotStore(ItemStore):
    """The live snapshot of a directory, re-checked every `poll_s` and swapped in place.

    Every read goes to the snapshot that is live when it starts; the store it
    replaced is closed one swap later, so reads already running finish on it.
    """

    def __init__(self, root: Path, *, poll_s: float = 1.0) -> None:
        self.snapshots = Snapshots(root)
        self.poll_s = poll_s
        self._swap_lock = threading.Lock()
        self._name: str | None = None
        self._live: ReadOnlyItemStore | None = None
        self._retired: list[ReadOnlyItemStore] = []
        self._checked = 0.0
        self._closed = False
        self.path = self.snapshots.root / DB_NAME
        if self._refresh(force=True) is None:
            raise IndexUnavailable(
                f"No published snapshot in {self.snapshots.root}: {REBUILD_HINT} "
                "with TESSERA_SNAPSHOT_DIR set"
            )

    @property
    def name(self) -> str | None:
        """The folder name of the snapshot being served."""
        return self._name

    def _refresh(self, *, force: bool = False) -> ReadOnlyItemStore | None:
        now = time.monotonic()
        if not force and self._live is not None and now - self._checked < self.poll_s:
            return self._live
        with self._swap_lock:
            self._checked = now
            name = self.snapshots.current()
            if name is None or name == self._name:
                return self._live
            fresh = ReadOnlyItemStore(self.snapshots.db_path(name), create=False)
            for old in self._retired:
                old.close()
            self._retired = [self._live] if self._live is not None else []
            self._live, self._name = fresh, name
            return fresh

    def _current(self) -> ReadOnlyItemStore:
        if self._closed:
            raise IndexUnavailable(f"The snapshots at {self.snapshots.root} are closed.")
        live = self._refresh()
        if live is None:
            raise IndexUnavailable(f"No published snapshot in {self.snapshots.root}")
        return live

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._current().read(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._current().transaction() as tx:
            yield tx

    def close(self) -> None:
        self._closed = True
        with self._swap_lock:
            stores = [*self._retired, *([self._live] if self._live else [])]
            self._retired, self._live = [], None
        for store in stores:
            store.close()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder (a rename inside it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
