"""The real local LLM: assemble the 0.5B model, serve it with llama.cpp, plan with it.

Skipped only when the model's part packages are not installed (scripts/setup.sh
installs them). The server runs on a free loopback port under a temporary
TESSERA_HOME and is stopped at the end.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.llm.client import Budget, LLMClient
from agent.llm.model_file import SPECS, ModelUnavailable, locate_parts
from agent.llm.server import start_detached, stop_server
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings
from agent.understand.reader import understand
from tools.facets import FacetVocabulary

pytestmark = pytest.mark.integration

VOCAB = FacetVocabulary(
    colors={"black": 199, "white": 84, "blue": 66, "gray": 42, "red": 36, "green": 30},
    brands={"xerox": 174, "avery": 98, "logitech": 36, "hon": 33, "apple": 4},
    categories={"lighting": 18, "desk lamp": 12, "chairs": 88, "bookcases": 50},
    genres={"drama": 8925, "comedy": 5568, "horror": 1922, "sci-fi": 1203},
    diets={"vegetarian": 1872, "vegan": 786},
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings for a local 0.5B server that this module starts and stops."""
    try:
        locate_parts(SPECS["0.5b"])
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    home: Path = tmp_path_factory.mktemp("llm-home")
    settings = Settings(
        home=home,
        llm_port=_free_port(),
        llm_model=SPECS["0.5b"].alias,
        llm_threads=1,
        llm_timeout_s=240,
        llm_budget_s=600,
    )
    asyncio.run(start_detached(settings, "0.5b", settings.llm_port, wait_s=180))
    yield settings
    assert stop_server(settings, settings.llm_port)


async def test_server_lists_the_model_under_its_alias(live_settings: Settings) -> None:
    base = f"http://127.0.0.1:{live_settings.llm_port}/v1"
    async with httpx.AsyncClient(timeout=10) as http:
        models = (await http.get(f"{base}/models")).json()["data"]
    assert SPECS["0.5b"].alias in {m["id"] for m in models}
    client = LLMClient(live_settings)
    assert await client.ping()
    await client.aclose()


async def test_planner_grounds_a_two_intent_request(live_settings: Settings) -> None:
    text = "easy vegetarian soup recipes and a desk lamp under $40"
    client = LLMClient(live_settings)
    budget = Budget.start(max_calls=2, seconds=600)
    try:
        plan = await LLMPlanner(client).plan(
            understand(text, VOCAB), VOCAB, history=[], budget=budget
        )
    finally:
        await client.aclose()
    assert plan.planner == f"llm:{live_settings.llm_model}"
    assert len({sq.vertical for sq in plan.subqueries}) >= 2
    products = [sq for sq in plan.subqueries if sq.tool == "search_products"]
    assert products and products[0].filters.price_max == 40
    assert all(sq.filters.colors == () for sq in plan.subqueries)
    assert budget.calls >= 1 and budget.records[0].prompt_tokens > 0


async def test_multi_intent_page_is_planned_by_the_llm_in_one_blocking_call(
    live_settings: Settings, tiny_home: Path
) -> None:
    from agent.deps import open_deps
    from agent.engine import Engine
    from agent.models import SearchRequest

    settings = live_settings.model_copy(
        update={"home": tiny_home, "planner": "llm", "llm_plan_budget_s": 240}
    )
    settings = settings.model_copy(
        update={"llm_base_url": f"http://127.0.0.1:{live_settings.llm_port}/v1"}
    )
    async with open_deps(settings) as deps:
        assert deps.planner is not None, deps.planner_note
        page = await Engine(deps).search(
            SearchRequest(text="vegetarian soup recipes and a comedy film to watch")
        )
    assert page.trace.planner.startswith("llm:"), page.trace.planner
    assert page.trace.llm_calls == 1 and [c.name for c in page.trace.llm] == ["plan"]
    assert page.trace.llm[0].prompt_tokens > 0 and page.trace.llm[0].completion_tokens > 0
    assert len({m.vertical for m in page.modules}) >= 2
    assert page.modules and all(0 < len(m.title) <= 60 for m in page.modules)


async def test_long_request_in_auto_mode_is_split_by_the_llm_in_one_blocking_call(
    live_settings: Settings, tiny_home: Path
) -> None:
    from agent.deps import open_deps
    from agent.engine import Engine
    from agent.models import SearchRequest

    settings = live_settings.model_copy(
        update={
            "home": tiny_home,
            "planner": "auto",
            "llm_plan_budget_s": 240,
            "llm_base_url": f"http://127.0.0.1:{live_settings.llm_port}/v1",
        }
    )
    text = "i want some easy vegetarian soup recipes and also a black desk lamp and a comedy film"
    async with open_deps(settings) as deps:
        assert deps.planner is not None, deps.planner_note
        page = await Engine(deps).search(SearchRequest(text=text))
    assert page.trace.planner.startswith("llm:") and "(clauses)" in page.trace.planner, (
        page.trace.planner
    )
    assert page.trace.llm_calls == 1 and [c.name for c in page.trace.llm] == ["split"]
    call = page.trace.llm[0]
    assert call.prompt_tokens > 0 and 0 < call.completion_tokens <= call.max_tokens
    assert len({m.vertical for m in page.modules}) >= 2
    assert page.modules and all(0 < len(m.title) <= 60 for m in page.modules)
