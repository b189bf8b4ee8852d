"""Spans at the seams: Tessera's one tracer, for tools and agent alike.

`span(name, attributes)` opens a child of the current span and makes it current.
With no SDK tracer provider installed (tracing off, the default) OpenTelemetry's API
hands out non-recording spans: callers build costly attributes only when
`span.is_recording()`. `pseudonym` hashes a user id so traces never carry it raw.

    with span("retrieve.lexical", {"tessera.vertical": "ideas"}) as s:
        ids = lexical(...)
        s.set_attribute("tessera.hits", len(ids))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from contextlib import AbstractContextManager

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue
from pydantic import BaseModel

TRACER_NAME = "tessera"
_tracer = trace.get_tracer(TRACER_NAME)


def tracer() -> trace.Tracer:
    """The tracer every Tessera span comes from (follows the global provider)."""
    return _tracer


def span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
) -> AbstractContextManager[Span]:
    """A child span of the current one, current inside the block; exceptions are recorded."""
    return _tracer.start_as_current_span(name, attributes=attributes, kind=kind)


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
    return json.dumps(model.model_dump(mode="json", exclude_none=True, exclude_defaults=True))


def trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None when nothing is traced."""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None
