"""Pages over a real slice of the starter catalog, indexed into temporary Chroma and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.engine import Engine
from agent.models import Module, Page, SearchRequest
from agent.settings import Settings
from tools.starter import build_starter

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def starter_deps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deps]:
    home: Path = tmp_path_factory.mktemp("starter-home")
    settings = Settings(home=home, planner="rule")
    catalog = build_starter(limit_per_source=1500)
    index = open_index(settings, create=True)
    index.upsert(catalog.items)
    yield Deps(settings=settings, index=index, caches=Caches())
    index.close()


async def page_for(deps: Deps, text: str) -> Page:
    return await Engine(deps).search(SearchRequest(text=text))


def module(page: Page, vertical: str) -> Module:
    found = [m for m in page.modules if m.vertical == vertical]
    assert found, f"no {vertical} module in {[m.title for m in page.modules]}"
    return found[0]


async def test_multi_intent_recipes_and_a_cheap_lamp(starter_deps: Deps) -> None:
    page = await page_for(starter_deps, "vegetarian soup recipes and a desk lamp under $40")
    ideas, shop = module(page, "ideas"), module(page, "shopping")
    assert all("vegetarian" in i.diet or "vegan" in i.diet for i in ideas.items)
    assert any("soup" in i.title.lower() for i in ideas.items[:3])
    assert shop.items and all(i.price is not None and i.price <= 40 for i in shop.items)
    assert any("lamp" in i.title.lower() for i in shop.items[:3])


async def test_under_50_module_only_holds_items_under_50(starter_deps: Deps) -> None:
    shop = module(await page_for(starter_deps, "office chair under $50"), "shopping")
    if not shop.relaxed:
        assert all(i.price is not None and i.price <= 50 for i in shop.items)
    else:
        assert "under $50" in shop.relaxed[0] and "widened the search" in shop.reason


async def test_filtered_video_query(starter_deps: Deps) -> None:
    video = module(
        await page_for(starter_deps, "comedies from the 1990s under 100 minutes"), "video"
    )
    assert len(video.items) >= 3
    for item in video.items:
        assert "Comedy" in item.genre
        assert item.year is not None and 1990 <= item.year <= 1999
        assert item.duration_s is not None and item.duration_s <= 6000


async def test_three_intents_three_modules_without_duplicates(starter_deps: Deps) -> None:
    page = await page_for(starter_deps, "pasta recipes, a black backpack and comedy movies")
    assert {"ideas", "shopping", "video"} <= {m.vertical for m in page.modules}
    assert all("black" in i.colors for i in module(page, "shopping").items)
    ids = [i.id for m in page.modules for i in m.items]
    assert len(ids) == len(set(ids))
    assert page.suggestions


async def test_long_and_foreign_queries_do_not_fail(starter_deps: Deps) -> None:
    long_page = await page_for(starter_deps, "chocolate cake " * 600)
    assert "cut" in long_page.trace.steps[0].detail
    foreign = await page_for(starter_deps, "Rezepte für Kartoffelsuppe mit Lauch")
    assert "non-English" in foreign.trace.steps[0].detail
