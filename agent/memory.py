"""Conversation memory: the LangGraph SQLite checkpointer under TESSERA_HOME.

Threads survive a restart because every turn's state is written to
`threads.sqlite`, or to PostgreSQL when TESSERA_DATABASE_URL is set, so any
worker can continue a thread another one started.
Only Tessera's own state types may be read back from the store.
Forgetting a user deletes every thread one of their requests ran in, with deleted
pages zeroed (`secure_delete`) and the write-ahead log folded back and truncated,
so no copy of their words stays on disk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent import models, state, trace
from agent.settings import Settings
from agent.turns import TurnLock, turn_locks
from agent.understand import model as understanding
from tools import catalog, filters
from tools.backend_errors import BackendUnavailable

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

STATE_TYPES: tuple[type, ...] = (
    models.SearchRequest,
    models.SubQuery,
    models.Plan,
    models.Hit,
    models.ToolResult,
    models.ResultItem,
    models.Module,
    trace.TraceStep,
    trace.LLMUsage,
    trace.ModuleShift,
    trace.PersonalisationReport,
    trace.ExplorationTrace,
    trace.PersonalisationTrace,
    trace.ImageTrace,
    trace.Trace,
    models.Page,
    understanding.Segment,
    understanding.Refinement,
    understanding.Understanding,
    state.Turn,
    state.ToolTask,
    filters.Filters,
    catalog.Idea,
    catalog.Product,
    catalog.Video,
)


def serializer() -> JsonPlusSerializer:
    """A checkpoint serializer that revives exactly Tessera's state types."""
    return JsonPlusSerializer(allowed_msgpack_modules=STATE_TYPES)


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Open the thread store the settings name for the life of the context.

    The embedded default creates `threads.sqlite` under TESSERA_HOME; with
    TESSERA_DATABASE_URL set it is LangGraph's Postgres checkpointer, whose
    tables `tessera db upgrade` creates.
    """
    if settings.database_url and settings.database_url.startswith(("postgresql:", "postgres:")):
        async with open_postgres_checkpointer(settings.database_url) as saver:
            yield saver
        return
    path = settings.threads_db
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        saver.serde = serializer()
        await saver.setup()
        yield saver


@asynccontextmanager
async def open_postgres_checkpointer(url: str) -> AsyncIterator[AsyncPostgresSaver]:
    """LangGraph's Postgres checkpointer over a small pool, with the same allow-list.

    The pool re-checks a connection before lending it, so a database restart
    costs the requests that were in flight, not the worker.
    """
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=8,
        timeout=5.0,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                "connect_timeout": 3},
        check=AsyncConnectionPool.check_connection,
        open=False,
    )  # fmt: skip
    try:
        await pool.open(wait=True, timeout=5.0)
    except Exception as exc:
        await pool.close()
        raise BackendUnavailable("postgres", f"the thread store cannot connect ({exc})") from exc
    try:
        saver = AsyncPostgresSaver(pool, serde=serializer())  # type: ignore[arg-type]
        async with pool.connection() as conn:
            found = await (await conn.execute("SELECT to_regclass('checkpoints') AS t")).fetchone()
        if not found or found["t"] is None:
            raise BackendUnavailable(
                "postgres", "no checkpoint tables: run `tessera db upgrade` first"
            )
        yield saver
    finally:
        await pool.close()


async def setup_postgres_checkpointer(url: str) -> None:
    """Create or migrate the checkpointer's tables (what `tessera db upgrade` runs)."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(url, serde=serializer()) as saver:
        await saver.setup()


def _user_of(request: Any) -> str | None:
    if isinstance(request, models.SearchRequest):
        return request.user_id
    if isinstance(request, dict):
        value = request.get("user_id")
        return value if isinstance(value, str) else None
    return None


async def _owned(saver: BaseCheckpointSaver[Any], thread_id: str, user_id: str) -> bool:
    """Whether any checkpoint or pending request of the thread belongs to `user_id`."""
    async for item in saver.alist({"configurable": {"thread_id": thread_id}}):
        values = item.checkpoint.get("channel_values") or {}
        writes = [value for _, channel, value in item.pending_writes or [] if channel == "request"]
        if any(_user_of(r) == user_id for r in [values.get("request"), *writes]):
            return True
    return False


async def _candidate_threads(saver: BaseCheckpointSaver[Any], user_id: str) -> list[str]:
    """Threads that may hold `user_id`: a byte search in SQLite, every thread elsewhere."""
    if isinstance(saver, AsyncSqliteSaver):
        await saver.setup()
        needle = user_id.encode()
        async with saver.lock, saver.conn.cursor() as cur:
            await cur.execute(
                "SELECT DISTINCT thread_id FROM checkpoints WHERE instr(checkpoint, ?) > 0 "
                "OR instr(metadata, ?) > 0 UNION SELECT DISTINCT thread_id FROM writes "
                "WHERE instr(value, ?) > 0",
                (needle, needle, needle),
            )
            return [str(row[0]) for row in await cur.fetchall()]
    seen: dict[str, None] = {}
    async for item in saver.alist(None):
        thread = item.config.get("configurable", {}).get("thread_id")
        if thread:
            seen.setdefault(str(thread), None)
    return list(seen)


async def user_threads(saver: BaseCheckpointSaver[Any], user_id: str) -> list[str]:
    """Ids of the threads in which any turn ran for `user_id`."""
    return [t for t in await _candidate_threads(saver, user_id) if await _owned(saver, t, user_id)]


async def delete_threads(saver: BaseCheckpointSaver[Any], thread_ids: list[str]) -> None:
    """Delete the threads; in SQLite also zero what they held and truncate the WAL."""
    if isinstance(saver, AsyncSqliteSaver):
        await saver.setup()
        async with saver.lock:
            await saver.conn.execute("PRAGMA secure_delete=ON")
    for thread_id in thread_ids:
        await saver.adelete_thread(thread_id)
    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock:
            await saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def forget_threads(saver: BaseCheckpointSaver[Any], user_id: str, locks: TurnLock) -> int:
    """Delete every thread of `user_id`, each under its turn lock; returns how many."""
    owned = await user_threads(saver, user_id)
    for thread_id in owned:
        async with locks.hold(thread_id):
            await delete_threads(saver, [thread_id])
    if not owned:
        await delete_threads(saver, [])
    return len(owned)


async def forget_user_threads(settings: Settings, user_id: str) -> int:
    """`forget_threads` on the thread store under TESSERA_HOME (for one-shot commands)."""
    if not settings.database_url and not settings.threads_db.is_file():
        return 0
    locks = turn_locks(settings)
    try:
        async with open_checkpointer(settings) as saver:
            return await forget_threads(saver, user_id, locks)
    finally:
        await locks.aclose()
