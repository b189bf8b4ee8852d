"""Events, profiles and impressions in PostgreSQL: the same API as the SQLite logs.

`PgEventStore` and `PgImpressionLog` are drop-in `EventStore` and `ImpressionLog`
over one psycopg connection pool, so every worker on every machine reads and
writes one log: an event posted to one worker changes the next page another
worker builds. Each write is one transaction; a database that does not answer
raises `BackendUnavailable("postgres", ...)` before anything is written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tools.backend_errors import BackendUnavailable
from tools.events import DeleteReport, Event, EventStore, StoredProfile, _event, _row
from tools.impressions import (
    Impression,
    ImpressionError,
    ImpressionLog,
    impression_row,
    pages_query,
)
from tools.pg_schema import LATEST, current_version
from tools.sqlite_log import EventStoreError

POOL_TIMEOUT_S = 5.0
_COLUMNS = "id, user_id, item_id, vertical, kind, ts, page_id, module_id"


class PgPool:
    """A psycopg pool shared by the logs; closed when its last user lets go."""

    def __init__(self, url: str, *, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        self._users = 0
        self._lock = threading.Lock()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=POOL_TIMEOUT_S,
            kwargs={"autocommit": True, "connect_timeout": 3},
            check=ConnectionPool.check_connection,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=POOL_TIMEOUT_S)
            with self._pool.connection() as conn:
                version = current_version(conn)
        except Exception as exc:
            self._pool.close()
            raise BackendUnavailable("postgres", f"cannot connect ({_describe(exc)})") from exc
        if version < LATEST:
            self._pool.close()
            raise EventStoreError(
                f"the PostgreSQL schema is at version {version}, this Tessera needs {LATEST}: "
                "run `tessera db upgrade`"
            )

    def acquire(self) -> PgPool:
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; an unreachable database is `BackendUnavailable`."""
        import psycopg

        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise BackendUnavailable("postgres", _describe(exc)) from exc

    def ping(self) -> None:
        with self.connection() as conn:
            conn.execute("SELECT 1")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class PgEventStore(EventStore):
    """The engagement log and profile cache in `tessera_events` and `tessera_profiles`."""

    def __init__(self, pool: PgPool) -> None:  # noqa: D107 - no SQLite file to open
        self.path = pool.url.split("@")[-1]  # type: ignore[assignment]
        self._pg = pool.acquire()

    def add_many(self, events: Iterable[Event]) -> list[int]:
        rows = [_row(e) for e in events]
        if not rows:
            return []
        ids: list[int] = []
        with self._pg.connection() as conn, conn.transaction():
            for user in sorted({r[0] for r in rows}):
                _lock_user(conn, user)
            for row in rows:
                found = conn.execute(
                    "INSERT INTO tessera_events (user_id, item_id, vertical, kind, ts, page_id, "
                    "module_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    row,
                ).fetchone()
                ids.append(int(found[0]))
        return ids

    def events(self, user_id: str, *, limit: int | None = None) -> list[Event]:
        sql = f"SELECT * FROM (SELECT {_COLUMNS} FROM tessera_events WHERE user_id = %s "
        sql += "ORDER BY id DESC"
        args: list[Any] = [user_id]
        if limit is not None:
            sql += " LIMIT %s"
            args.append(max(0, limit))
        return [_event(r) for r in self._rows(sql + ") AS recent ORDER BY id", args)]

    def events_for_pages(self, page_ids: Sequence[str]) -> list[Event]:
        ids = list(dict.fromkeys(page_ids))
        if not ids:
            return []
        sql = f"SELECT {_COLUMNS} FROM tessera_events WHERE page_id = ANY(%s) ORDER BY id"
        return [_event(r) for r in self._rows(sql, [ids])]

    def revision(self, user_id: str) -> int:
        rows = self._rows("SELECT max(id) FROM tessera_events WHERE user_id = %s", [user_id])
        return int(rows[0][0] or 0)

    def load_profile(self, user_id: str) -> StoredProfile | None:
        rows = self._rows(
            "SELECT revision, key, body FROM tessera_profiles WHERE user_id = %s", [user_id]
        )
        if not rows:
            return None
        revision, key, body = rows[0]
        return StoredProfile(user_id=user_id, revision=revision, key=key, body=body)

    def save_profile(self, profile: StoredProfile) -> bool:
        with self._pg.connection() as conn, conn.transaction():
            _lock_user(conn, profile.user_id)
            cur = conn.execute(
                "INSERT INTO tessera_profiles (user_id, revision, key, body) "
                "SELECT %s, %s, %s, %s WHERE "
                "(SELECT max(id) FROM tessera_events WHERE user_id = %s) = %s "
                "ON CONFLICT (user_id) DO UPDATE SET revision = EXCLUDED.revision, "
                "key = EXCLUDED.key, body = EXCLUDED.body",
                (profile.user_id, profile.revision, profile.key, profile.body,
                 profile.user_id, profile.revision),
            )  # fmt: skip
            return cur.rowcount > 0

    def delete_user(self, user_id: str) -> DeleteReport:
        with self._pg.connection() as conn, conn.transaction():
            _lock_user(conn, user_id)
            events = conn.execute("DELETE FROM tessera_events WHERE user_id = %s", (user_id,))
            profile = conn.execute("DELETE FROM tessera_profiles WHERE user_id = %s", (user_id,))
        return DeleteReport(user_id=user_id, events=events.rowcount, profile=profile.rowcount > 0)

    def ping(self) -> None:
        self._pg.ping()

    def checkpoint(self) -> None:
        """Nothing to fold here: PostgreSQL reclaims deleted rows when it vacuums."""

    def close(self) -> None:
        self._pg.release()

    def _rows(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._pg.connection() as conn:
            return list(conn.execute(sql, tuple(args)).fetchall())


class PgImpressionLog(ImpressionLog):
    """Logged pages in `tessera_impressions`."""

    def __init__(self, pool: PgPool) -> None:  # noqa: D107 - no SQLite file to open
        self.path = pool.url.split("@")[-1]  # type: ignore[assignment]
        self._pg = pool.acquire()

    def log(self, impression: Impression) -> None:
        import psycopg

        row = impression_row(impression)
        try:
            with self._pg.connection() as conn:
                conn.execute("INSERT INTO tessera_impressions VALUES (%s, %s, %s, %s)", row)
        except psycopg.errors.UniqueViolation:
            raise ImpressionError(f"page {impression.page_id!r} was already logged") from None

    def pages(
        self,
        *,
        user_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Impression]:
        return self._select(*pages_query("%s", user_id=user_id, since=since, limit=limit))

    def get(self, page_id: str) -> Impression | None:
        found = self._select("WHERE page_id = %s", [page_id])
        return found[0] if found else None

    def delete_user(self, user_id: str) -> int:
        with self._pg.connection() as conn:
            cur = conn.execute("DELETE FROM tessera_impressions WHERE user_id = %s", (user_id,))
            return int(cur.rowcount)

    def checkpoint(self) -> None:
        """Nothing to fold here: PostgreSQL reclaims deleted rows when it vacuums."""

    def close(self) -> None:
        self._pg.release()

    def _select(self, where: str, args: Sequence[Any]) -> list[Impression]:
        from pydantic import ValidationError

        with self._pg.connection() as conn:
            rows = conn.execute(f"SELECT body FROM tessera_impressions {where}", args).fetchall()
        out: list[Impression] = []
        for (body,) in rows:
            try:
                out.append(Impression.model_validate_json(body))
            except ValidationError:
                continue
        return out


def _lock_user(conn: Any, user_id: str) -> None:
    """Serialise writes about one user (event, profile save, forget) across workers."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (user_id,))
