"""Tessera's span blocks (tools/tracing.py) against the SDK's in-memory exporter: a
block's span is current inside it and a child of the one around it, an exception
leaving it is recorded, and with tracing off nothing is started or made current."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN, StatusCode

from tools import tracing


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    """Spans go to a provider of this test's own, and back to the process's one after."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.enable(provider)
    yield memory
    global_provider = trace.get_tracer_provider()
    tracing.enable(global_provider if isinstance(global_provider, TracerProvider) else None)


def test_a_block_is_current_inside_and_a_child_of_the_block_around_it(
    exported: InMemorySpanExporter,
) -> None:
    with tracing.span("outer", {"tessera.vertical": "ideas"}) as outer:
        with tracing.span("inner") as inner:
            assert trace.get_current_span() is inner
            inner.set_attribute("tessera.hits", 3)
            tracing.event("fallback.lexical_only", {"tessera.vertical": "ideas"})
        assert trace.get_current_span() is outer
    assert trace.get_current_span() is INVALID_SPAN
    finished = {s.name: s for s in exported.get_finished_spans()}
    assert set(finished) == {"outer", "inner"}
    assert finished["inner"].parent is not None
    assert finished["inner"].parent.span_id == finished["outer"].context.span_id
    assert finished["inner"].context.trace_id == finished["outer"].context.trace_id
    assert dict(finished["outer"].attributes or {}) == {"tessera.vertical": "ideas"}
    assert dict(finished["inner"].attributes or {}) == {"tessera.hits": 3}
    assert [e.name for e in finished["inner"].events] == ["fallback.lexical_only"]


def test_an_exception_leaving_a_block_is_recorded_and_the_span_ended(
    exported: InMemorySpanExporter,
) -> None:
    with pytest.raises(TimeoutError), tracing.span("tool.search_ideas"):
        raise TimeoutError("deadline passed")
    [failed] = exported.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "TimeoutError: deadline passed"
    assert [e.name for e in failed.events] == ["exception"]
    assert trace.get_current_span() is INVALID_SPAN


def test_a_started_span_has_the_given_parent_and_is_not_current(
    exported: InMemorySpanExporter,
) -> None:
    with tracing.span("search") as root:
        at_root = trace.set_span_in_context(root)
        fan_out = tracing.start("fan_out", {"tessera.sends": 2}, at_root)
        assert trace.get_current_span() is root
        with tracing.span("tool.search_ideas", context=trace.set_span_in_context(fan_out)):
            pass
        fan_out.end()
    finished = {s.name: s for s in exported.get_finished_spans()}
    assert finished["fan_out"].parent is not None
    assert finished["fan_out"].parent.span_id == finished["search"].context.span_id
    tool = finished["tool.search_ideas"]
    assert tool.parent is not None and tool.parent.span_id == finished["fan_out"].context.span_id


def test_a_leaf_is_made_when_its_block_ends_under_the_current_span_with_its_start_time(
    exported: InMemorySpanExporter,
) -> None:
    with tracing.span("tool.search_ideas") as tool:
        with tracing.leaf("retrieve.lexical", {"tessera.vertical": "ideas"}) as lexical:
            assert trace.get_current_span() is tool
            assert lexical.is_recording()
            lexical.set_attribute("tessera.hits", 4)
            assert exported.get_finished_spans() == ()
        with pytest.raises(KeyError), tracing.leaf("gate"):
            raise KeyError("m1")
    leaf, gate, parent = exported.get_finished_spans()
    assert leaf.parent is not None and leaf.parent.span_id == parent.context.span_id
    assert gate.parent is not None and gate.parent.span_id == parent.context.span_id
    assert dict(leaf.attributes or {}) == {"tessera.vertical": "ideas", "tessera.hits": 4}
    assert parent.start_time is not None and leaf.start_time is not None
    assert parent.start_time <= leaf.start_time < (leaf.end_time or 0)
    assert gate.status.status_code is StatusCode.ERROR
    assert [e.name for e in gate.events] == ["exception"]


def test_off_nothing_is_started_or_made_current(exported: InMemorySpanExporter) -> None:
    tracing.enable(None)
    assert not tracing.enabled()
    with tracing.span("retrieve.lexical", {"tessera.vertical": "ideas"}) as current:
        assert current is INVALID_SPAN and not current.is_recording()
        assert trace.get_current_span() is INVALID_SPAN
        assert tracing.trace_id() is None
    with pytest.raises(ValueError), tracing.span("gate"):
        raise ValueError("passes through untouched")
    assert tracing.start("fan_out") is INVALID_SPAN
    with tracing.leaf("gate", {"tessera.module.id": "m1"}) as decision:
        decision.set_attributes({"tessera.gate.kept": True})
        assert not decision.is_recording()
    assert exported.get_finished_spans() == ()
