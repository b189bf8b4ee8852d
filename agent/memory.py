"""Conversation memory: the LangGraph SQLite checkpointer under TESSERA_HOME.

Threads survive a restart because every turn's state is written to
`threads.sqlite`; production deployments swap in the Postgres checkpointer.
Only Tessera's own state types may be read back from the store. Forgetting a
user deletes every thread one of their requests ran in, with deleted pages
zeroed (`secure_delete`) and the write-ahead log folded back and truncated, so
no copy of their words stays on disk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent import models, state, trace
from agent.settings import Settings
from agent.turns import TurnLocks
from agent.understand import model as understanding
from tools import catalog, filters

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
async def open_checkpointer(settings: Settings) -> AsyncIterator[AsyncSqliteSaver]:
    """Open (creating if needed) the thread store for the life of the context."""
    path = settings.threads_db
    path.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        saver.serde = serializer()
        await saver.setup()
        yield saver


def _user_of(request: Any) -> str | None:
    if isinstance(request, models.SearchRequest):
        return request.user_id
    if isinstance(request, dict):
        value = request.get("user_id")
        return value if isinstance(value, str) else None
    return None


async def user_threads(saver: AsyncSqliteSaver, user_id: str) -> list[str]:
    """Ids of the threads in which any turn ran for `user_id`."""
    await saver.setup()
    needle = user_id.encode()
    async with saver.lock, saver.conn.cursor() as cur:
        await cur.execute(
            "SELECT DISTINCT thread_id FROM checkpoints WHERE instr(checkpoint, ?) > 0 "
            "OR instr(metadata, ?) > 0 UNION SELECT DISTINCT thread_id FROM writes "
            "WHERE instr(value, ?) > 0",
            (needle, needle, needle),
        )
        candidates = [str(row[0]) for row in await cur.fetchall()]
    owned: list[str] = []
    for thread_id in candidates:
        async for item in saver.alist({"configurable": {"thread_id": thread_id}}):
            values = item.checkpoint.get("channel_values") or {}
            writes = [
                value for _, channel, value in item.pending_writes or [] if channel == "request"
            ]
            if any(_user_of(r) == user_id for r in [values.get("request"), *writes]):
                owned.append(thread_id)
                break
    return owned


async def delete_threads(saver: AsyncSqliteSaver, thread_ids: list[str]) -> None:
    """Delete the threads, zeroing what they held, and truncate the write-ahead log."""
    await saver.setup()
    async with saver.lock:
        await saver.conn.execute("PRAGMA secure_delete=ON")
    for thread_id in thread_ids:
        await saver.adelete_thread(thread_id)
    async with saver.lock:
        await saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def forget_threads(saver: AsyncSqliteSaver, user_id: str, locks: TurnLocks) -> int:
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
    if not settings.threads_db.is_file():
        return 0
    async with open_checkpointer(settings) as saver:
        return await forget_threads(
            saver, user_id, TurnLocks(settings.locks_dir, settings.turn_wait_s)
        )
