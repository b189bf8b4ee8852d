"""Conversation memory: the LangGraph SQLite checkpointer under TESSERA_HOME.

Threads survive a restart because every turn's state is written to
`threads.sqlite`, or to PostgreSQL when TESSERA_DATABASE_URL is set, so any
worker can continue a thread another one started.
Only Tessera's own state types may be read back from the store.
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
