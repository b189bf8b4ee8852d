"""Conversation memory: the LangGraph SQLite checkpointer under TESSERA_HOME.

Threads survive a restart because every turn's state is written to
`threads.sqlite`; production deployments swap in the Postgres checkpointer.
Only Tessera's own state types may be read back from the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent import models, state, trace
from agent.settings import Settings
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
