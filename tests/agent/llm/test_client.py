"""LLM client: structured output, fallback and repair, retries, budget. Fake HTTP only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pydantic import BaseModel

from agent.llm.client import (
    Budget,
    BudgetExhausted,
    LLMConnectionError,
    LLMInvalidOutput,
    LLMStatusError,
    parse_retry_after,
    strict_schema,
)
from tests.fakes import FakeServer, Sleeps, completion, error, make_client


class Answer(BaseModel):
    city: str
    count: int


def budget(calls: int = 5, seconds: float = 60.0) -> Budget:
    return Budget.start(max_calls=calls, seconds=seconds)


async def test_structured_sends_strict_json_schema_and_records_usage() -> None:
    server = FakeServer(completion('{"city": "Oslo", "count": 3}'))
    spent = budget()
    result = await make_client(server).structured(
        system="sys", user="where?", schema=Answer, budget=spent, name="answer"
    )
    assert result == Answer(city="Oslo", count=3)
    [body] = server.bodies()
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "answer" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["city", "count"]
    assert body["temperature"] == 0
    [record] = spent.records
    assert (record.outcome, record.prompt_tokens, record.completion_tokens) == ("ok", 12, 7)
    assert spent.calls == 1 and spent.tokens == 19


async def test_rejected_json_schema_falls_back_to_json_object_once() -> None:
    server = FakeServer(
        error(400, 'response_format type must be one of "text" or "json_object"'),
        completion('{"city": "Rome", "count": 1}'),
        completion('{"city": "Bern", "count": 2}'),
    )
    client = make_client(server)
    first = await client.structured(system="s", user="u", schema=Answer, budget=budget(), name="a")
    second = await client.structured(system="s", user="u", schema=Answer, budget=budget(), name="a")
    assert (first.city, second.city) == ("Rome", "Bern")
    formats = [b["response_format"]["type"] for b in server.bodies()]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert '"city"' in server.bodies()[1]["messages"][0]["content"]


async def test_junk_is_repaired_in_one_round() -> None:
    server = FakeServer(completion("sure! here you go"), completion('{"city": "Lima", "count": 4}'))
    spent = budget()
    result = await make_client(server).structured(
        system="s", user="u", schema=Answer, budget=spent, name="answer"
    )
    assert result.city == "Lima"
    repair = server.bodies()[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": "sure! here you go"}
    assert "not valid" in repair[-1]["content"]
    assert [r.outcome for r in spent.records] == ["invalid", "ok"]


async def test_junk_after_repair_raises_invalid_output() -> None:
    server = FakeServer(completion("{not json"), completion('{"city": "Lima"}'))
    with pytest.raises(LLMInvalidOutput, match="count"):
        await make_client(server).structured(
            system="s", user="u", schema=Answer, budget=budget(), name="answer"
        )
    assert len(server.requests) == 2


async def test_timeout_is_retried_then_succeeds() -> None:
    server = FakeServer(httpx.ReadTimeout("slow"), completion('{"city": "Nice", "count": 1}'))
    sleeps = Sleeps()
    spent = budget()
    result = await make_client(server, sleeps).structured(
        system="s", user="u", schema=Answer, budget=spent, name="answer"
    )
    assert result.city == "Nice"
    assert [r.outcome for r in spent.records] == ["timeout", "ok"]
    assert len(sleeps.waits) == 1


async def test_429_burst_honours_retry_after_seconds_and_dates() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server = FakeServer(
        error(429, "slow down", {"retry-after": "2"}),
        error(429, "slow down", {"retry-after": soon}),
        completion('{"city": "Kyiv", "count": 5}'),
    )
    sleeps = Sleeps()
    spent = budget(calls=5, seconds=120)
    result = await make_client(server, sleeps).structured(
        system="s", user="u", schema=Answer, budget=spent, name="answer"
    )
    assert result.count == 5
    assert sleeps.waits[0] == 2.0
    assert 25 < sleeps.waits[1] <= 30
    assert [r.outcome for r in spent.records] == ["error", "error", "ok"]


async def test_server_error_is_retried_with_jittered_backoff() -> None:
    server = FakeServer(error(500, "boom"), completion('{"city": "Oulu", "count": 0}'))
    sleeps = Sleeps()
    result = await make_client(server, sleeps).structured(
        system="s", user="u", schema=Answer, budget=budget(), name="answer"
    )
    assert result.city == "Oulu"
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= 4


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_4xx_are_not_retried(status: int) -> None:
    server = FakeServer(error(status, "bad request body"))
    sleeps = Sleeps()
    with pytest.raises(LLMStatusError) as caught:
        await make_client(server, sleeps).structured(
            system="s", user="u", schema=Answer, budget=budget(), name="answer"
        )
    assert caught.value.status == status and not caught.value.retryable
    assert len(server.requests) == 1 and sleeps.waits == []


async def test_exhausted_budget_makes_no_request() -> None:
    server = FakeServer()
    spent = budget(calls=0)
    with pytest.raises(BudgetExhausted, match="0/0 calls"):
        await make_client(server).structured(
            system="s", user="u", schema=Answer, budget=spent, name="answer"
        )
    assert server.requests == []
    assert [r.outcome for r in spent.records] == ["budget"]


async def test_expired_deadline_makes_no_request() -> None:
    server = FakeServer()
    with pytest.raises(BudgetExhausted):
        await make_client(server).text(system="s", user="u", budget=budget(seconds=-1), name="t")
    assert server.requests == []


async def test_retries_count_against_the_budget() -> None:
    server = FakeServer(error(503, "busy"), error(503, "busy"), error(503, "busy"))
    spent = budget(calls=2)
    with pytest.raises(LLMStatusError):
        await make_client(server).text(system="s", user="u", budget=spent, name="t")
    assert len(server.requests) == 2 and spent.calls == 2 and spent.exhausted()


async def test_retry_after_beyond_the_deadline_gives_up_without_waiting() -> None:
    server = FakeServer(error(429, "later", {"retry-after": "600"}))
    sleeps = Sleeps()
    with pytest.raises(LLMStatusError, match="429"):
        await make_client(server, sleeps).text(
            system="s", user="u", budget=budget(seconds=30), name="t"
        )
    assert sleeps.waits == [] and len(server.requests) == 1


async def test_text_and_ping() -> None:
    server = FakeServer(completion("Cozy reading nooks"))
    client = make_client(server)
    assert await client.text(system="s", user="u", budget=budget(), name="t") == (
        "Cozy reading nooks"
    )
    assert await client.ping() is True
    assert server.requests[-1].url.path == "/v1/models"
    await client.aclose()


async def test_unreachable_server() -> None:
    client = make_client(FakeServer(down=True))
    assert await client.ping() is False
    with pytest.raises(LLMConnectionError, match="tessera llm serve"):
        await client.text(system="s", user="u", budget=budget(calls=2), name="t")


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "7"}, now) == 7.0
    assert parse_retry_after({"retry-after-ms": "1500"}, now) == 1.5
    assert parse_retry_after({"retry-after": "Thu, 01 Jan 2026 12:00:09 GMT"}, now) == 9.0
    assert parse_retry_after({"retry-after": "Thu, 01 Jan 2026 11:00:00 GMT"}, now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}, now) is None
    assert parse_retry_after({}, now) is None


def test_strict_schema_requires_everything_and_forbids_extras() -> None:
    class Inner(BaseModel):
        tags: list[str] = []

    class Outer(BaseModel):
        name: str | None = None
        inner: Inner

    schema = strict_schema(Outer)
    assert schema["required"] == ["name", "inner"]
    assert schema["additionalProperties"] is False
    inner = schema["$defs"]["Inner"]
    assert inner["required"] == ["tags"] and "default" not in inner["properties"]["tags"]
