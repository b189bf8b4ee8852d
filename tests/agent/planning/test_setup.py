"""The warm-up call a just-started local server gets before its first request."""

from __future__ import annotations

import pytest

from agent.planning import prestart
from agent.planning.setup import WARM_TOKENS, AttachedPlanner, warm_up
from agent.settings import Settings
from prompts.loader import render
from tests.fakes import FakeServer, completion, error, make_client


async def test_warm_up_sends_the_splitters_prompt_for_a_few_tokens() -> None:
    server = FakeServer(completion("x"))
    client = make_client(server)
    assert await warm_up(client, Settings()) is True
    (body,) = server.bodies()
    assert body["messages"][0] == {"role": "system", "content": render("split_system")}
    examples = render("split_user", request="").rstrip()
    assert body["messages"][1]["content"].startswith(examples), "the worked examples are cached"
    assert body["max_tokens"] == WARM_TOKENS <= 16


async def test_a_failed_warm_up_is_reported_not_raised() -> None:
    server = FakeServer(*[error(500, "boom")] * 4)
    client = make_client(server)
    assert await warm_up(client, Settings()) is False


async def test_the_detached_start_warms_the_plan_openers_prompt_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = FakeServer(completion("x"))
    client = make_client(server)

    async def connect(settings: Settings, *, start: bool) -> AttachedPlanner:
        assert start
        return AttachedPlanner("llm:fake", client, None)

    monkeypatch.setattr(prestart, "connect_llm_planner", connect)
    assert await prestart._start(Settings()) == "llm:fake"
    (body,) = server.bodies()
    assert body["messages"][0] == {"role": "system", "content": render("aspects_system")}
    examples = render("aspects_user", request="").rstrip()
    assert body["messages"][1]["content"].startswith(examples)
