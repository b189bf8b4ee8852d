"""The warm-up call a just-started local server gets before its first request."""

from __future__ import annotations

from agent.planning.setup import warm_up
from agent.settings import Settings
from prompts.loader import render
from tests.fakes import FakeServer, completion, error, make_client


async def test_warm_up_sends_the_splitters_system_prompt_for_one_token() -> None:
    server = FakeServer(completion("x"))
    client = make_client(server)
    assert await warm_up(client, Settings()) is True
    (body,) = server.bodies()
    assert body["messages"][0] == {"role": "system", "content": render("split_system")}
    assert body["max_tokens"] == 1


async def test_a_failed_warm_up_is_reported_not_raised() -> None:
    server = FakeServer(*[error(500, "boom")] * 4)
    client = make_client(server)
    assert await warm_up(client, Settings()) is False
