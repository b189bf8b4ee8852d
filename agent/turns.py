"""One turn at a time per conversation thread, across tasks, workers and processes.

A turn reads the thread's last checkpoint and writes a new one when it ends, so
two turns of one thread running at once would each write a history missing the
other. `TurnLocks.hold(thread_id)` takes an advisory `flock` on a small file per
thread under the data directory; separate opens of one file exclude each other,
in one process as across processes on the host that holds the thread store. A
turn that cannot get its thread within `wait_s` is refused (`ThreadBusy`), never
run on a stale history. With TESSERA_DATABASE_URL set, threads live in PostgreSQL
and workers may sit on several hosts, so `PgTurnLocks` takes a session-level
advisory lock in that database instead, on connections from a small pool opened
on the first turn and closed with the engine.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
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

    async def aclose(self) -> None: ...


async def _wait_for(take: Callable[[], Awaitable[bool]], thread_id: str, wait_s: float) -> None:
    """Call `take` with growing pauses until it returns True; `ThreadBusy` after `wait_s`."""
    deadline = time.monotonic() + wait_s
    pause = POLL_S[0]
    while not await take():
        if time.monotonic() >= deadline:
            raise ThreadBusy(f"thread {thread_id!r} is busy with another turn; retry shortly")
        await asyncio.sleep(pause)
        pause = min(POLL_S[1], pause * 2)


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

        async def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        try:
            await _wait_for(take, thread_id, self.wait_s)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def aclose(self) -> None:
        """Nothing to close: each turn opens and closes its own lock file."""


class PgTurnLocks:
    """Per-thread advisory locks in PostgreSQL, shared by workers on every host.

    Each held turn keeps one pooled connection for its length; the lock is a session
    lock, so a worker that dies mid-turn releases it when its connection drops. The
    pool is its own, apart from the checkpointer's, so turns holding locks never
    starve the checkpoint writes they wait on.
    """

    def __init__(self, url: str, wait_s: float, max_size: int = 16) -> None:
        self.url = url
        self.wait_s = wait_s
        self.max_size = max_size
        self._pool: Any = None

    async def _connections(self) -> Any:
        from psycopg_pool import AsyncConnectionPool

        from tools.backend_errors import BackendUnavailable

        if self._pool is None:
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                self.url,
                min_size=1,
                max_size=self.max_size,
                timeout=5.0,
                kwargs={"autocommit": True, "connect_timeout": 3},
                check=AsyncConnectionPool.check_connection,
                open=False,
            )
            try:
                await pool.open(wait=True, timeout=5.0)
            except Exception as exc:
                await pool.close()
                raise BackendUnavailable("postgres", f"turn lock: cannot connect ({exc})") from exc
            self._pool = pool
        return self._pool

    @asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[None]:
        """The thread's lock for the body of the block; `ThreadBusy` after `wait_s`."""
        pool = await self._connections()
        key = "tessera-turn:" + thread_id
        async with pool.connection() as conn:

            async def take() -> bool:
                cur = await conn.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
                )
                row = await cur.fetchone()
                return bool(row and row[0])

            await _wait_for(take, thread_id, self.wait_s)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

    async def aclose(self) -> None:
        """Close the pool, if a turn opened it."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def turn_locks(settings: Settings) -> TurnLocks | PgTurnLocks:
    """The turn locks for where the settings keep threads."""
    url = settings.database_url
    if url and url.startswith(("postgresql:", "postgres:")):
        return PgTurnLocks(url, settings.turn_wait_s, max_size=settings.max_concurrency + 1)
    return TurnLocks(settings.locks_dir, settings.turn_wait_s)
