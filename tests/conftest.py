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
from tools.catalog import CatalogItem, Idea, Product, Video
from tools.index import CatalogIndex

TINY: list[CatalogItem] = [
    Idea(
        id="r1",
        title="Vegetarian lentil soup",
        description="A hearty lentil soup",
        total_time_min=25,
        diet=["vegetarian", "vegan"],
        tags=["soup"],
    ),
    Idea(
        id="r2",
        title="Chicken noodle soup",
        description="Classic chicken soup",
        total_time_min=40,
        tags=["soup"],
    ),
    Idea(
        id="r3",
        title="Tomato soup",
        description="Quick tomato soup with basil",
        total_time_min=20,
        diet=["vegetarian"],
    ),
    Idea(
        id="r4",
        title="Pasta carbonara",
        description="Spaghetti with egg and bacon",
        total_time_min=30,
    ),
    Product(
        id="p1",
        title="Mesh office chair",
        price=129.0,
        colors=["black"],
        category_path=["Furniture", "Chairs"],
        brand="Hon",
    ),
    Product(
        id="p2",
        title="Leather office chair",
        price=399.0,
        colors=["brown"],
        category_path=["Furniture", "Chairs"],
    ),
    Product(
        id="p3",
        title="Ergonomic office chair",
        price=89.0,
        colors=["red"],
        category_path=["Furniture", "Chairs"],
    ),
    Product(
        id="p4",
        title="Task office chair",
        price=149.0,
        colors=["blue"],
        category_path=["Furniture", "Chairs"],
    ),
    Product(
        id="p5",
        title="LED desk lamp",
        price=35.0,
        colors=["white"],
        category_path=["Office", "Lamps"],
    ),
    Video(
        id="v1", title="Dumb and Dumber", duration_s=6420, genre=["Comedy"], published="1994-12-16"
    ),
    Video(
        id="v2",
        title="Groundhog Day",
        duration_s=6060,
        genre=["Comedy", "Fantasy"],
        published="1993-02-12",
    ),
    Video(id="v3", title="Heat", duration_s=10200, genre=["Crime"], published="1995-12-15"),
    Video(id="v4", title="Clueless", duration_s=5820, genre=["Comedy"], published="1995-07-19"),
]


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
