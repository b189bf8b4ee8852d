"""Spans at the seams: Tessera's one tracer, for tools and agent alike.

`span(name, attributes)` opens a child of the current span (or of `context`) and
makes it current for the block; an exception leaving the block is recorded on it.
Tracing is off until `enable(provider)` (agent/telemetry.py does it once an exporter
is configured): off, `span` hands back one shared no-op block whose span is the API's
`INVALID_SPAN`, so a request pays a function call per span and builds nothing.
`leaf(name, attributes)` is for a span that starts no child (a retriever, the gate's
decision): the span is made when the block ends, which spares the SDK about a tenth of
its time in a request. Callers build costly attributes only when `span.is_recording()`.
`pseudonym` hashes a user id so traces never carry it raw.

    with span("retrieve.lexical", {"tessera.vertical": "ideas"}) as s:
        ids = lexical(...)
        s.set_attribute("tessera.hits", len(ids))

The block is a small class rather than the API's `start_as_current_span`, whose two
stacked generator context managers cost about as much as the span itself.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import TracebackType

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from pydantic import BaseModel

TRACER_NAME = "tessera"
_tracer: trace.Tracer | None = None


def enable(provider: trace.TracerProvider | None) -> None:
    """Take spans from `provider` from now on; None turns tracing off again."""
    use(provider.get_tracer(TRACER_NAME) if provider is not None else None)


def use(tracer: trace.Tracer | None) -> None:
    """Take spans from `tracer` (one of `enable`'s provider's, say); None is off."""
    global _tracer
    _tracer = tracer


def enabled() -> bool:
    """True while spans are recorded (a provider was enabled)."""
    return _tracer is not None


def _end(span: Span, kind: type[BaseException] | None, error: BaseException | None) -> None:
    """End `span`, recording an exception that left its block (not an exit or a cancel)."""
    if isinstance(error, Exception) and kind is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
    span.end()


class _Current:
    """A started span, current inside the block and ended when it leaves."""

    __slots__ = ("_span", "_token")

    def __init__(self, started: Span) -> None:
        self._span = started
        self._token: object = None

    def __enter__(self) -> Span:
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        return self._span

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        otel_context.detach(self._token)  # type: ignore[arg-type]
        _end(self._span, kind, error)


class _Off:
    """The block when tracing is off: nothing started, nothing made current."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return INVALID_SPAN

    def __exit__(self, *_: object) -> None:
        return None


_OFF = _Off()


def span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    context: otel_context.Context | None = None,
) -> AbstractContextManager[Span]:
    """A child span of the current one (or of `context`), current inside the block."""
    tracer = _tracer
    if tracer is None:
        return _OFF
    return _Current(tracer.start_span(name, context, kind, attributes))


class Leaf:
    """A span that starts no child (a retriever, a decision): what it says is gathered
    during the block, and the span is made and ended in one go when the block leaves,
    with the block's start time, under the span current then. Nothing is made current,
    and the SDK's start and end run back to back. Off, the shared instance records
    nothing."""

    __slots__ = ("_attributes", "_name", "_started", "_tracer")

    def __init__(
        self, tracer: trace.Tracer | None, name: str, attributes: Mapping[str, AttributeValue]
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._attributes = dict(attributes)
        self._started = 0

    def is_recording(self) -> bool:
        return self._tracer is not None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        if self._tracer is not None:
            self._attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        if self._tracer is not None:
            self._attributes.update(attributes)

    def __enter__(self) -> Leaf:
        self._started = time.time_ns()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self._tracer is None:
            return
        made = self._tracer.start_span(
            self._name, attributes=self._attributes, start_time=self._started
        )
        _end(made, kind, error)


_OFF_LEAF = Leaf(None, "", {})


def leaf(name: str, attributes: Mapping[str, AttributeValue] | None = None) -> Leaf:
    """A span with no children, made when its block ends (see `Leaf`)."""
    tracer = _tracer
    if tracer is None:
        return _OFF_LEAF
    return Leaf(tracer, name, attributes or {})


def start(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    context: otel_context.Context | None = None,
) -> Span:
    """A span that is not made current; its owner ends it (the request's fan-out)."""
    tracer = _tracer
    if tracer is None:
        return INVALID_SPAN
    return tracer.start_span(name, context, attributes=attributes)


def event(name: str, attributes: Mapping[str, AttributeValue] | None = None) -> None:
    """An event (a fallback, a breaker opening) on the current span; free when tracing is off."""
    current = trace.get_current_span()
    if current.is_recording():
        current.add_event(name, attributes=attributes)


def pseudonym(user_id: str) -> str:
    """A stable, non-reversible stand-in for a user id (sha256, 16 hex digits)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:16]


def compact(model: BaseModel) -> str:
    """A model's set fields as compact JSON (filters, say), for one attribute."""
    return model.model_dump_json(exclude_none=True, exclude_defaults=True)


def trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None when nothing is traced."""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None
