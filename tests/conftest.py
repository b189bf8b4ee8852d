"""Shared fixtures: a tiny hand-made index and a small real slice of the starter catalog.

Both live in temporary directories (TESSERA_HOME points there), so tests never
touch a person's own index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.settings import Settings
from agent.telemetry import install, tracing_on
from tests.fakes import TINY
from tools.index import CatalogIndex


@pytest.fixture(scope="session")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TESSERA_HOME holding an index of the `TINY` catalog."""
    home = tmp_path_factory.mktemp("tiny-home")
    index = open_index(Settings(home=home), create=True)
    index.upsert(TINY)
    index.close()
    return home


@pytest.fixture
def tiny_deps(tiny_home: Path) -> Iterator[Deps]:
    """Rule-planner dependencies over the tiny index."""
    settings = Settings(home=tiny_home, planner="rule")
    index: CatalogIndex = open_index(settings)
    yield Deps(settings=settings, index=index, caches=Caches())
    index.close()


_SPANS = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span this process finishes, kept in memory: the SDK's provider is installed
    (once per process, as `configure_tracing` would) with the in-memory exporter."""
    if not tracing_on():
        install([SimpleSpanProcessor(_SPANS)])
    _SPANS.clear()
    yield _SPANS
    _SPANS.clear()
