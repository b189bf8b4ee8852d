"""A follow-up that names a new topic starts a new search: "cheaper office chair" after a
video turn searches shopping, while a bare "cheaper" still refines the previous turn."""

from __future__ import annotations

from pathlib import Path

from agent.deps import Deps
from agent.engine import Engine
from agent.memory import open_checkpointer
from agent.models import Page, SearchRequest
from agent.settings import Settings


async def two_turns(deps: Deps, tmp_path: Path, first: str, second: str) -> Page:
    async with open_checkpointer(Settings(home=tmp_path)) as saver:
        engine = Engine(deps, saver)
        thread = engine.new_thread()
        await engine.search(SearchRequest(text=first, thread_id=thread), new_thread=True)
        return await engine.search(SearchRequest(text=second, thread_id=thread))


async def test_cheaper_office_chair_after_videos_searches_shopping(
    tiny_deps: Deps, tmp_path: Path
) -> None:
    page = await two_turns(tiny_deps, tmp_path, "comedies from the 1990s", "cheaper office chair")
    assert [m.vertical for m in page.modules] == ["shopping"]
    assert "chair" in page.modules[0].items[0].title.lower()


async def test_bare_cheaper_still_refines_the_previous_turn(
    tiny_deps: Deps, tmp_path: Path
) -> None:
    page = await two_turns(tiny_deps, tmp_path, "office chair under $200", "cheaper")
    prices = [i.price for m in page.modules for i in m.items if i.price is not None]
    assert prices and max(prices) <= 140


async def test_cheaper_chairs_after_chairs_refines_too(tiny_deps: Deps, tmp_path: Path) -> None:
    page = await two_turns(tiny_deps, tmp_path, "office chair under $200", "cheaper chairs")
    prices = [i.price for m in page.modules for i in m.items if i.price is not None]
    assert prices and max(prices) <= 140
