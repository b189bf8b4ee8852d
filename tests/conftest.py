"""Shared fixtures: a tiny hand-made index and a small real slice of the starter catalog.

Both live in temporary directories (TESSERA_HOME points there), so tests never
touch a person's own index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.settings import Settings
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
