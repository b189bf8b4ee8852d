"""The request's OpenTelemetry spans, read back from the SDK's in-memory exporter: the
tree of a multi-intent request, the LLM call's GenAI attributes, and what is kept out
of the spans (the prompt, the raw user id) unless a setting lets it in."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.deps import Deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings
from agent.telemetry import exporter_names
from tests.fakes import FakeServer, completion, make_client, step
from tools import tracing
from tools.tracing import pseudonym, span

QUERY = "something warm to eat and somewhere to sit"


def llm_deps(tiny_deps: Deps, server: FakeServer, **settings: Any) -> Deps:
    client = make_client(server, **settings)
    return Deps(
        settings=tiny_deps.settings.model_copy(update=settings),
        index=tiny_deps.index,
        planner=LLMPlanner(client),
        llm=client,
    )


def plan_reply() -> Any:
    content = json.dumps(
        {
            "subqueries": [
                step("search_ideas", "tomato soup"),
                step("search_products", "office chair"),
            ]
        }
    )
    return completion(content, prompt_tokens=900, completion_tokens=80, cached_tokens=512)


def by_name(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name]


def parent_of(span: ReadableSpan, finished: tuple[ReadableSpan, ...]) -> ReadableSpan:
    assert span.parent is not None, f"{span.name} has no parent"
    found = [s for s in finished if s.context.span_id == span.parent.span_id]
    assert found, f"the parent of {span.name} was not exported"
    return found[0]


def parent_name(span: ReadableSpan, finished: tuple[ReadableSpan, ...]) -> str | None:
    return parent_of(span, finished).name if span.parent is not None else None


async def test_multi_intent_request_span_tree(tiny_deps: Deps, spans: InMemorySpanExporter) -> None:
    deps = llm_deps(tiny_deps, FakeServer(plan_reply()))
    page = await Engine(deps).search(SearchRequest(text=QUERY, user_id="ada@example.com"))
    finished = spans.get_finished_spans()

    [root] = by_name(finished, "search")
    assert root.parent is None
    assert page.trace.trace_id == trace.format_trace_id(root.context.trace_id)
    assert {s.context.trace_id for s in finished} == {root.context.trace_id}
    for node in ("begin", "understand", "plan", "assess", "compose", "rank", "finish"):
        [node_span] = by_name(finished, f"node.{node}")
        assert parent_of(node_span, finished) is root

    [fan_out] = by_name(finished, "fan_out")
    assert parent_of(fan_out, finished) is root
    tools = by_name(finished, "tool.search_ideas") + by_name(finished, "tool.search_products")
    assert len(tools) == 2 and all(parent_of(t, finished) is fan_out for t in tools)
    texts = {t.attributes["tessera.subquery.text"] for t in tools if t.attributes}
    assert texts == {"tomato soup", "office chair"}
    retrievers = {s.name for s in finished if parent_name(s, finished) in {t.name for t in tools}}
    assert {"retrieve.lexical", "retrieve.dense", "retrieve.fusion"} <= retrievers

    [llm] = [s for s in finished if s.name.startswith("chat ")]
    assert parent_of(llm, finished).name == "node.plan"
    attrs = dict(llm.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == deps.settings.llm_model
    assert attrs["gen_ai.request.max_tokens"] > 0
    assert attrs["gen_ai.usage.input_tokens"] == 900
    assert attrs["gen_ai.usage.output_tokens"] == 80
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 512

    gates = by_name(finished, "gate")
    assert gates and all(parent_of(g, finished).name == "node.rank" for g in gates)
    odds = [float((g.attributes or {})["tessera.gate.probability"]) for g in gates]  # type: ignore[arg-type]
    assert all(0.0 <= p <= 1.0 for p in odds)
    assert root.attributes and root.attributes["enduser.pseudo.id"] == pseudonym("ada@example.com")
    assert root.attributes["tessera.modules"] == len(page.modules)


async def test_no_prompt_or_user_text_is_exported_by_default(
    tiny_deps: Deps, spans: InMemorySpanExporter
) -> None:
    deps = llm_deps(tiny_deps, FakeServer(plan_reply()))
    await Engine(deps).search(SearchRequest(text=QUERY, user_id="ada@example.com"))
    exported = json.dumps(
        [dict(s.attributes or {}) for s in spans.get_finished_spans()], default=str
    )
    assert "gen_ai.input.messages" not in exported
    assert "gen_ai.output.messages" not in exported
    assert QUERY not in exported
    assert "ada@example.com" not in exported


async def test_content_setting_puts_the_prompt_and_reply_on_the_llm_span(
    tiny_deps: Deps, spans: InMemorySpanExporter
) -> None:
    deps = llm_deps(tiny_deps, FakeServer(plan_reply()), trace_content=True)
    await Engine(deps).search(SearchRequest(text=QUERY))
    finished = spans.get_finished_spans()
    [llm] = [s for s in finished if s.name.startswith("chat ")]
    messages = json.loads(str((llm.attributes or {})["gen_ai.input.messages"]))
    assert any(QUERY in m["content"] for m in messages)
    assert "office chair" in str((llm.attributes or {})["gen_ai.output.messages"])
    [root] = by_name(finished, "search")
    assert (root.attributes or {})["tessera.request.text"] == QUERY


async def test_a_streamed_turn_is_one_trace(tiny_deps: Deps, spans: InMemorySpanExporter) -> None:
    events = [e async for e in Engine(tiny_deps).stream(SearchRequest(text="tomato soup"))]
    page = next(e.page for e in events if e.page is not None)
    [root] = by_name(spans.get_finished_spans(), "search")
    assert (root.attributes or {})["tessera.streamed"] is True
    assert page.trace.trace_id == trace.format_trace_id(root.context.trace_id)


async def test_off_a_request_makes_no_spans_and_its_page_no_trace_id(
    tiny_deps: Deps, spans: InMemorySpanExporter
) -> None:
    tracing.enable(None)
    try:
        page = await Engine(tiny_deps).search(SearchRequest(text="tomato soup"))
    finally:
        tracing.enable(trace.get_tracer_provider())
    assert page.modules
    assert page.trace.trace_id is None
    assert spans.get_finished_spans() == ()


def test_log_records_carry_the_trace_and_span_ids(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tessera.test"):
        with span("outer") as current:
            logging.getLogger("tessera.test").info("inside")
    record = caplog.records[-1]
    context = current.get_span_context()
    assert record.otelTraceID == trace.format_trace_id(context.trace_id)  # type: ignore[attr-defined]
    assert record.otelSpanID == trace.format_span_id(context.span_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:1"}, []),
    ],
)
def test_exporters_follow_the_spec_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[str]
) -> None:
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_TRACES_EXPORTER",
        "OTEL_SDK_DISABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert exporter_names(Settings()) == expected
