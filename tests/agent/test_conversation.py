"""Multi-turn threads on the SQLite checkpointer: follow-ups, restarts, unknown ids."""

from __future__ import annotations

import pytest

from agent.deps import Deps
from agent.engine import Engine, UnknownThread
from agent.memory import open_checkpointer
from agent.models import SearchRequest


async def test_follow_ups_survive_a_restart(tiny_deps: Deps) -> None:
    async with open_checkpointer(tiny_deps.settings) as saver:
        engine = Engine(tiny_deps, saver)
        thread = engine.new_thread()
        first = await engine.search(
            SearchRequest(text="office chair under $400", thread_id=thread), new_thread=True
        )
        top = max(i.price or 0 for m in first.modules for i in m.items)
        cheaper = await engine.search(SearchRequest(text="cheaper", thread_id=thread))
        assert "follow-up: cheaper" in cheaper.trace.steps[0].detail
        prices = [i.price for m in cheaper.modules for i in m.items if i.price is not None]
        assert prices and max(prices) < top
    async with open_checkpointer(tiny_deps.settings) as saver:
        engine = Engine(tiny_deps, saver)
        turns = await engine.history(thread)
        assert [t.text for t in turns] == ["office chair under $400", "cheaper"]
        assert thread in await engine.threads()
        videos = await engine.search(SearchRequest(text="show me videos instead", thread_id=thread))
        assert "q1->search_videos" in videos.trace.steps[1].detail
        assert all(m.vertical == "video" for m in videos.modules)
        if not videos.modules:
            assert "no good matches for 'office chair' in this catalog" in videos.trace.notes


async def test_only_in_blue_keeps_the_price(tiny_deps: Deps) -> None:
    async with open_checkpointer(tiny_deps.settings) as saver:
        engine = Engine(tiny_deps, saver)
        thread = engine.new_thread()
        await engine.search(
            SearchRequest(text="office chair under $200", thread_id=thread), new_thread=True
        )
        page = await engine.search(SearchRequest(text="only in blue", thread_id=thread))
        items = [i for m in page.modules for i in m.items]
        assert items and all("blue" in i.colors and (i.price or 0) <= 200 for i in items)


async def test_unknown_thread_is_a_clear_error(tiny_deps: Deps) -> None:
    async with open_checkpointer(tiny_deps.settings) as saver:
        engine = Engine(tiny_deps, saver)
        with pytest.raises(UnknownThread, match="unknown thread"):
            await engine.search(SearchRequest(text="soup", thread_id="no-such-thread"))
        with pytest.raises(UnknownThread):
            await engine.history("no-such-thread")


async def test_threads_need_a_checkpointer(tiny_deps: Deps) -> None:
    with pytest.raises(UnknownThread, match="not enabled"):
        await Engine(tiny_deps).search(SearchRequest(text="soup", thread_id="t1"))


def test_threads_stored_by_earlier_versions_still_read() -> None:
    from agent.state import State
    from agent.trace import Trace

    stored = {"request": {"text": "soup"}, "personalisation": {}, "image_info": {}}
    state = State.model_validate(stored)
    assert state.personalisation is None and state.image_info is None
    trace = Trace.model_validate({"personalisation": {}, "image": {}})
    assert trace.personalisation is None and trace.image is None
