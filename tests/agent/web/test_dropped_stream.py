"""A client that drops `/v1/chat` mid-stream keeps its turn: over real HTTP (uvicorn on
loopback), the first turn of a new thread is cut off while its plan waits on a slow
LLM, and the thread then answers with that turn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from agent.settings import Settings
from app import create_app
from tests.fakes import LoopbackLLM, build_home

QUERY = "soup recipes, a desk lamp and a comedy film for the evening"


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[LoopbackLLM]:
    """An LLM that never answers: each plan waits out its timeout, then the router plans."""
    with LoopbackLLM("hang") as server:
        yield server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, slow_llm: LoopbackLLM) -> Iterator[str]:
    home: Path = build_home(tmp_path_factory.mktemp("dropped-home"))
    settings = Settings(
        home=home,
        planner="auto",
        llm_base_url=slow_llm.base_url,
        llm_autostart=False,
        llm_timeout_s=1.5,
        llm_plan_budget_s=1.5,
    )
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


def first_thread_id(base_url: str, query: str) -> str:
    """Start a chat turn, read only its `thread` event, and hang up."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        with client.stream("POST", "/v1/chat", json={"query": query}) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines) == "event: thread"
            data = next(lines)
    assert data.startswith("data: ")
    return str(httpx.Response(200, content=data[6:]).json()["thread_id"])


def test_a_dropped_first_turn_is_kept_in_its_thread(base_url: str, slow_llm: LoopbackLLM) -> None:
    thread_id = first_thread_id(base_url, QUERY)
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while True:
            response = client.get(f"/v1/threads/{thread_id}")
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            assert response.status_code == 404
            time.sleep(0.2)
        assert response.status_code == 200, response.text
        turns = response.json()["turns"]
        assert [t["text"] for t in turns] == [QUERY]
        follow = client.post("/v1/search", json={"query": "cheaper", "thread_id": thread_id})
    assert follow.status_code == 200
    assert slow_llm.calls >= 1, "the turn never reached the planner's LLM call"
