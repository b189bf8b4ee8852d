"""Traces reach a real trace UI: `tessera serve` exports over OTLP to a real `phoenix
serve` on loopback, and Phoenix's REST API gives back the request's trace with its
HTTP, node, tool and LLM spans (the LLM a scripted OpenAI-compatible server)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes import LoopbackLLM, build_home, step
from tests.integration.phoenix import phoenix_command, phoenix_server, trace_spans
from tests.integration.services import ServiceMissing, Worker

pytestmark = pytest.mark.integration

QUERY = "soup recipes, a desk lamp and a comedy film for the evening"
PLAN = {
    "subqueries": [
        step("search_ideas", "soup"),
        step("search_products", "desk lamp"),
        step("search_videos", "comedy"),
    ]
}


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        phoenix_command()
    except ServiceMissing as exc:
        pytest.skip(str(exc))
    with phoenix_server(tmp_path_factory.mktemp("phoenix")) as url:
        yield url


@pytest.fixture(scope="module")
def tessera(tmp_path_factory: pytest.TempPathFactory, phoenix: str) -> Iterator[str]:
    home = build_home(tmp_path_factory.mktemp("traced-home"))
    with LoopbackLLM(("ok", json.dumps(PLAN))) as llm:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": phoenix,
            "OTEL_SERVICE_NAME": "tessera-test",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "TESSERA_PLANNER": "auto",
            "TESSERA_LLM_BASE_URL": llm.base_url,
            "TESSERA_LLM_PLAN_TASK": "plan",
            "TESSERA_LLM_AUTOSTART": "false",
        }
        worker = Worker(home, env).start()
        try:
            yield worker.url
        finally:
            worker.stop()


def wait_for_trace(phoenix: str, trace_id: str, names: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        spans = trace_spans(phoenix, trace_id)
        if names <= {s["name"] for s in spans} or time.monotonic() > deadline:
            return spans
        time.sleep(0.5)


def test_a_request_trace_reaches_phoenix_with_node_and_llm_spans(
    phoenix: str, tessera: str
) -> None:
    response = httpx.post(f"{tessera}/v1/search", json={"query": QUERY}, timeout=60)
    assert response.status_code == 200, response.text
    page = response.json()
    trace_id = page["trace"]["trace_id"]
    assert trace_id and len(trace_id) == 32
    assert page["trace"]["planner"].startswith("llm")

    expected = {"POST /v1/search", "search", "node.plan", "fan_out", "node.rank", "gate"}
    spans = wait_for_trace(phoenix, trace_id, expected)
    names = {s["name"] for s in spans}
    assert expected <= names, sorted(names)
    by_id = {s["context"]["span_id"]: s for s in spans}

    def parent(span: dict[str, Any]) -> str | None:
        found = by_id.get(span["parent_id"] or "")
        return found["name"] if found else None

    [root] = [s for s in spans if s["name"] == "search"]
    assert parent(root) == "POST /v1/search"
    [llm] = [s for s in spans if s["name"].startswith("chat ")]
    assert parent(llm) == "node.plan"
    assert llm["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert llm["attributes"]["gen_ai.usage.output_tokens"] == 7
    assert "gen_ai.input.messages" not in llm["attributes"]
    tools = [s for s in spans if s["name"].startswith("tool.")]
    fanned = [t for t in tools if parent(t) == "fan_out"]
    assert len(fanned) >= 2 and {parent(t) for t in tools} <= {"fan_out", "node.assess"}
    assert any(s["name"] == "retrieve.lexical" for s in spans)
