"""Concurrent follow-ups on one thread: every answered turn is kept, in one process and
across workers that share the thread store (each with its own checkpointer connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from agent.settings import Settings
from tests.fakes import build_home, serve_home

FOLLOW_UPS = ["cheaper", "in black", "in white", "under $30", "cheaper", "desk lamp"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("turns-home"))


@asynccontextmanager
async def worker(home: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One API worker: its own index handle, engine and thread-store connection."""
    async with serve_home(Settings(home=home, planner="rule")) as client:
        yield client


async def start_thread(client: httpx.AsyncClient) -> str:
    first = await client.post("/v1/chat", json={"query": "a desk lamp under $60"})
    assert first.status_code == 200
    thread_id = first.text.split('"thread_id":"', 1)[1].split('"', 1)[0]
    return thread_id


async def follow_up(client: httpx.AsyncClient, thread_id: str, text: str, chat: bool) -> None:
    body = {"query": text, "thread_id": thread_id}
    if chat:
        response = await client.post("/v1/chat", json=body)
        assert response.status_code == 200 and "event: done" in response.text
    else:
        response = await client.post("/v1/search", json=body)
        assert response.status_code == 200, response.text


async def turns(client: httpx.AsyncClient, thread_id: str) -> list[str]:
    response = await client.get(f"/v1/threads/{thread_id}")
    assert response.status_code == 200
    return [turn["text"] for turn in response.json()["turns"]]


async def test_six_concurrent_follow_ups_keep_seven_turns(home: Path) -> None:
    async with worker(home) as client:
        thread_id = await start_thread(client)
        await asyncio.gather(
            *(
                follow_up(client, thread_id, text, chat=n % 2 == 0)
                for n, text in enumerate(FOLLOW_UPS)
            )
        )
        kept = await turns(client, thread_id)
    assert len(kept) == 7
    assert kept[0] == "a desk lamp under $60"
    assert sorted(kept[1:]) == sorted(FOLLOW_UPS)


async def test_two_workers_sharing_the_store_keep_every_turn(home: Path) -> None:
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(worker(home))
        two = await stack.enter_async_context(worker(home))
        thread_id = await start_thread(one)
        await asyncio.gather(
            *(
                follow_up(one if n % 2 else two, thread_id, text, chat=False)
                for n, text in enumerate(FOLLOW_UPS)
            )
        )
        assert len(await turns(one, thread_id)) == 7
        assert len(await turns(two, thread_id)) == 7


async def test_a_turn_that_cannot_get_its_thread_is_refused_not_run(tmp_path: Path) -> None:
    from agent.turns import ThreadBusy, TurnLocks

    locks = TurnLocks(tmp_path / "locks", wait_s=0.05)
    async with locks.hold("t1"):
        with pytest.raises(ThreadBusy):
            async with locks.hold("t1"):
                pass
        async with locks.hold("t2"):
            pass
    async with locks.hold("t1"):
        pass
