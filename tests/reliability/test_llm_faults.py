"""A misbehaving OpenAI-compatible endpoint on loopback: every failure is the client's own
error type, and the planner, the write step and the web API degrade instead of failing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from agent.llm.client import LLMClient, LLMError, LLMProtocolError
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings
from tests.fakes import LoopbackLLM, LoopbackReply, build_home, loopback_llm, serve_home


class _Reply(BaseModel):
    answer: str


FAULTS: list[LoopbackReply] = ["junk", "html", "empty", "500", "429", "hang"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("llm-faults-home"))


def llm_settings(home: Path, server: LoopbackLLM) -> Settings:
    return Settings(
        home=home,
        planner="auto",
        llm_base_url=server.base_url,
        llm_timeout_s=0.4,
        llm_budget_s=2.0,
        llm_max_calls=4,
        llm_titles=True,
        llm_suggestions=True,
        llm_rewrites=True,
    )


@asynccontextmanager
async def api_with_llm(home: Path, server: LoopbackLLM) -> AsyncIterator[httpx.AsyncClient]:
    settings = llm_settings(home, server)
    llm = LLMClient(settings)
    try:
        async with serve_home(settings, planner=LLMPlanner(llm), llm=llm) as client:
            yield client
    finally:
        await llm.aclose()


@pytest.mark.parametrize("fault", FAULTS)
async def test_every_fault_is_an_llm_error(home: Path, fault: LoopbackReply) -> None:
    with loopback_llm(fault) as server:
        client = LLMClient(llm_settings(home, server))
        try:
            with pytest.raises(LLMError) as raised:
                await client.structured(
                    system="s",
                    user="u",
                    schema=_Reply,
                    budget=client.new_budget(),
                    name="probe",
                )
        finally:
            await client.aclose()
    assert server.calls >= 1
    if fault in ("junk", "html"):
        assert isinstance(raised.value, LLMProtocolError)
        assert "not a chat completion" in str(raised.value)


@pytest.mark.parametrize("fault", FAULTS)
async def test_search_degrades_on_every_fault(home: Path, fault: LoopbackReply) -> None:
    with loopback_llm(fault) as server:
        async with api_with_llm(home, server) as api:
            response = await api.post(
                "/v1/search", json={"query": "vegetarian soup ideas and a comedy to watch"}
            )
            chat = await api.post("/v1/chat", json={"query": "a desk lamp and soup recipes"})
    assert server.calls >= 1, "the endpoint was never asked, so nothing was probed"
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["modules"]
    assert all("ti" != m["title"] and "<html" not in m["title"] for m in page["modules"])
    outcomes = {call["outcome"] for call in page["trace"]["llm"]}
    assert outcomes and outcomes <= {"error", "timeout", "invalid", "budget"}
    assert chat.status_code == 200 and "event: page" in chat.text
    assert "event: error" not in chat.text


async def test_a_flaky_endpoint_still_plans_when_it_answers(home: Path) -> None:
    good = '{"titles": [{"id": "q1", "title": "Soups for tonight"}]}'

    def mode(call: int) -> LoopbackReply:
        return "html" if call == 1 else ("ok", good)

    with loopback_llm(mode) as server:
        async with api_with_llm(home, server) as api:
            response = await api.post("/v1/search", json={"query": "vegetarian soup"})
    assert response.status_code == 200
    assert server.calls >= 2
