"""The real 1.5B model opens a broad intent into grounded aspect modules.

Uses a server already answering on TESSERA_LLM_PORT with the 1.5B model, or starts one
on a free loopback port under a temporary TESSERA_HOME (skipped when the model's part
packages are not installed). The catalog is the small broad-intent one of the unit tests.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.cache import Caches
from agent.deps import Deps, open_index
from agent.engine import Engine
from agent.llm.client import LLMClient
from agent.llm.install_state import wait_for
from agent.llm.model_file import SPECS, ModelUnavailable, locate_parts
from agent.llm.server import start_detached, stop_server
from agent.models import SearchRequest
from agent.settings import Settings
from tests.fakes import BURGER

pytestmark = pytest.mark.integration
ALIAS = SPECS["1.5b"].alias


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serving(port: int) -> bool:
    try:
        found = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return False
    return ALIAS in {m.get("id") for m in found.get("data", [])}


@pytest.fixture(scope="module")
def live_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    home: Path = tmp_path_factory.mktemp("explore-live")
    index = open_index(Settings(home=home), create=True)
    index.upsert(BURGER)
    index.close()
    port = Settings().llm_port
    if _serving(port):
        yield home, port
        return
    wait_for(Settings(), "1.5b")  # set-up's background install, when it still runs
    try:
        locate_parts(SPECS["1.5b"])
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    settings = Settings(home=home, llm_port=_free_port(), llm_model=ALIAS)
    asyncio.run(start_detached(settings, "1.5b", settings.llm_port, wait_s=300))
    yield home, settings.llm_port
    assert stop_server(settings, settings.llm_port)


async def test_burger_night_opens_into_two_grounded_modules(live_home: tuple[Path, int]) -> None:
    home, port = live_home
    settings = Settings(
        home=home,
        planner="auto",
        llm_port=port,
        llm_model=ALIAS,
        llm_timeout_s=240,
        explore_deadline_s=300,
    )
    index = open_index(settings)
    client = LLMClient(settings)
    try:
        deps = Deps(settings=settings, index=index, caches=Caches(), llm=client)
        page = await Engine(deps).search(SearchRequest(text="burger night", k=3))
    finally:
        await client.aclose()
        index.close()
    explored = next(s.detail for s in page.trace.steps if s.name == "explored")
    aspects = [m for m in page.modules if m.aspect]
    assert len(aspects) >= 2, explored
    assert all(m.title.startswith("Burger night · ") for m in aspects)
    assert [c.name for c in page.trace.llm] == ["aspects"]
