"""Backend calls as client spans: a query to a real Chroma server (`chroma run`) and the
thread store on a real PostgreSQL cluster, read back from the in-memory exporter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.memory import open_checkpointer, setup_postgres_checkpointer
from agent.settings import Settings
from tests.integration.services import ServiceMissing, chroma_server, postgres
from tools.vector_server import ServerVectorStore

pytestmark = pytest.mark.integration


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    try:
        with chroma_server(tmp_path) as url:
            yield url
    except ServiceMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    try:
        with postgres() as cluster:
            yield cluster.url
    except ServiceMissing as exc:
        pytest.skip(str(exc))


def test_a_chroma_server_query_is_a_client_span_over_its_http_call(
    chroma_url: str, spans: InMemorySpanExporter
) -> None:
    store = ServerVectorStore(chroma_url, embedder_name="test")
    vectors = np.eye(3, dtype=np.float32)
    store.upsert("ideas", ["a", "b", "c"], vectors, [{"x": 1}, {"x": 2}, {"x": 3}])
    spans.clear()
    found = store.query("ideas", vectors[1], None, 2)
    assert found[0][0] == "b"
    finished = spans.get_finished_spans()
    [query] = [s for s in finished if s.name == "chroma.query"]
    attributes = query.attributes or {}
    assert attributes["db.system.name"] == "chromadb"
    assert attributes["db.collection.name"] == "ideas"
    under = [s for s in finished if s.parent and s.parent.span_id == query.context.span_id]
    assert [s.name for s in under] == ["POST"]


async def test_thread_store_queries_are_postgresql_spans(
    tmp_path: Path, postgres_url: str, spans: InMemorySpanExporter
) -> None:
    settings = Settings(home=tmp_path, database_url=postgres_url)
    await setup_postgres_checkpointer(postgres_url)
    async with open_checkpointer(settings) as saver:
        spans.clear()
        await saver.aget_tuple({"configurable": {"thread_id": "t1", "checkpoint_ns": ""}})
    finished = spans.get_finished_spans()
    queries = [s for s in finished if (s.attributes or {}).get("db.system") == "postgresql"]
    assert "select" in {s.name for s in queries}, [s.name for s in finished]
