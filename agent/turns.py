"""One turn at a time per conversation thread, across tasks, workers and processes.

A turn reads the thread's last checkpoint and writes a new one when it ends, so
two turns of one thread running at once would each write a history missing the
other. `TurnLocks.hold(thread_id)` takes an advisory `flock` on a small file per
thread under the data directory; separate opens of one file exclude each other,
in one process as across processes on the host that holds the thread store. A
turn that cannot get its thread within `wait_s` is refused (`ThreadBusy`), never
run on a stale history. With TESSERA_DATABASE_URL set, threads live in PostgreSQL
and workers may sit on several hosts, so `PgTurnLocks` takes a session-level
advisory lock in that database instead.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from agent.settings import Settings
from tools.errors import UserError

POLL_S = (0.005, 0.05)


class ThreadBusy(UserError):
    """Another turn of this thread is still running; retry in a moment."""


class TurnLock(Protocol):
    """Holds one thread for the length of a turn."""

    def hold(self, thread_id: str) -> Any: ...


def _busy(thread_id: str) -> ThreadBusy:
    return ThreadBusy(f"thread {thread_id!r} is busy with another turn; retry shortly")


class TurnLocks:
    """Advisory per-thread locks: lock files under `directory`, waited for up to `wait_s`."""

    def __init__(self, directory: Path, wait_s: float) -> None:
        self.directory = directory
        self.wait_s = wait_s

    def path(self, thread_id: str) -> Path:
        digest = hashlib.sha256(thread_id.encode()).hexdigest()[:32]
        return self.directory / f"{digest}.lock"

    @asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[None]:
        """The thread's lock for the body of the block; `ThreadBusy` after `wait_s`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path(thread_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + self.wait_s
            pause = POLL_S[0]
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise _busy(thread_id) from None
                    await asyncio.sleep(pause)
                    pause = min(POLL_S[1], pause * 2)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class PgTurnLocks:
    """Per-thread advisory locks in PostgreSQL, shared by workers on every host.

    Each held turn keeps one connection for its length; the lock is a session lock,
    so a worker that dies mid-turn releases it when its connection drops.
    """

    def __init__(self, url: str, wait_s: float) -> None:
        self.url = url
        self.wait_s = wait_s

    @asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[None]:
        """The thread's lock for the body of the block; `ThreadBusy` after `wait_s`."""
        import psycopg

        from tools.backend_errors import BackendUnavailable

        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=3
            )
        except psycopg.Error as exc:
            raise BackendUnavailable("postgres", f"turn lock: cannot connect ({exc})") from exc
        key = "tessera-turn:" + thread_id
        try:
            deadline = time.monotonic() + self.wait_s
            pause = POLL_S[0]
            while True:
                cur = await conn.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
                )
                row = await cur.fetchone()
                if row and row[0]:
                    break
                if time.monotonic() >= deadline:
                    raise _busy(thread_id)
                await asyncio.sleep(pause)
                pause = min(POLL_S[1], pause * 2)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))
        finally:
            await conn.close()


def turn_locks(settings: Settings) -> TurnLocks | PgTurnLocks:
    """The turn locks for where the settings keep threads."""
    url = settings.database_url
    if url and url.startswith(("postgresql:", "postgres:")):
        return PgTurnLocks(url, settings.turn_wait_s)
    return TurnLocks(settings.locks_dir, settings.turn_wait_s)
