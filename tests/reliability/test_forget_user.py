"""Forgetting a user removes their threads, events, logged pages and profile, and leaves no
copy of their id or their words anywhere in the data directory (WAL files included)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from agent.cache import Caches
from agent.cli.events import run_forget
from agent.deps import Deps, open_index
from agent.personal.setup import open_personal
from agent.settings import Settings
from tests.fakes import build_home, serve_app

USER = "zelda-7731"
CLI_USER = "yorick-5512"
"""Each test forgets its own user: one process may hold an earlier test's strings in memory."""
WORDS = "pumpkin soup for grandmaqx"
CLI_WORDS = "pumpkin soup for grandpazv"
"""Each test's own words too, for the same reason."""


@asynccontextmanager
async def personal_api(home: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(home=home, planner="rule", exploration_epsilon=0.0)
    index = open_index(settings)
    personal = open_personal(settings, index, build_graphs=False)
    deps = Deps(settings=settings, index=index, caches=Caches(), personal=personal)
    try:
        async with serve_app(settings, deps) as client:
            yield client
    finally:
        personal.close()
        index.close()


def files_holding(home: Path, needle: str) -> list[str]:
    return sorted(
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and needle.encode() in path.read_bytes()
    )


async def leave_traces(client: httpx.AsyncClient, user: str, words: str = WORDS) -> str:
    first = await client.post("/v1/chat", json={"query": words, "user_id": user})
    thread_id = first.text.split('"thread_id":"', 1)[1].split('"', 1)[0]
    follow = {"query": "cheaper", "thread_id": thread_id, "user_id": user}
    assert (await client.post("/v1/search", json=follow)).status_code == 200
    page = (await client.post("/v1/search", json={"query": "soup", "user_id": user})).json()
    event = {"user_id": user, "item_id": "soup-1", "vertical": "ideas", "kind": "click"}
    event |= {"page_id": page["page_id"]}
    assert (await client.post("/v1/events", json=event)).status_code == 201
    assert (await client.get(f"/v1/users/{user}/profile")).status_code == 200
    return thread_id


async def test_delete_user_leaves_nothing_on_disk(tmp_path: Path) -> None:
    home = build_home(tmp_path / "home")
    async with personal_api(home) as client:
        mine = await leave_traces(client, USER)
        theirs = await leave_traces(client, "other-user")
        assert files_holding(home, USER), "the probe must find the user before forgetting"
        gone = await client.delete(f"/v1/users/{USER}")
        assert gone.status_code == 200
        assert gone.json()["threads"] == 1 and gone.json()["events"] == 1
        assert (await client.get(f"/v1/threads/{mine}")).status_code == 404
        assert (await client.get(f"/v1/threads/{theirs}")).status_code == 200
        assert mine not in (await client.get("/v1/threads")).json()["threads"]
        assert (await client.get(f"/v1/users/{USER}/profile")).status_code == 404
        assert files_holding(home, USER) == []
        assert files_holding(home, "other-user")
        assert files_holding(home, "grandmaqx"), "the other user's thread is kept"


def test_tessera_forget_removes_threads_too(tmp_path: Path) -> None:
    home = build_home(tmp_path / "home")

    async def use() -> None:
        async with personal_api(home) as client:
            await leave_traces(client, CLI_USER, CLI_WORDS)

    asyncio.run(use())
    assert files_holding(home, "grandpazv")
    assert run_forget(argparse.Namespace(user=CLI_USER), Settings(home=home, planner="rule")) == 0
    assert files_holding(home, CLI_USER) == []
    assert files_holding(home, "grandpazv") == []
