"""The request's span tree: one `search` span per request, one span per graph node, and a
`fan_out` span that the sub-queries' tool calls sit under.

LangGraph runs every node as its own task, copying the context the graph was started
in, so a node span is a child of the request span. Tool calls run as siblings of each
other (LangGraph `Send`); the `fan_out` span is opened when the plan fans out and
closed when `assess` starts, and each tool call (the `run_tool` node) opens its
`tool.<name>` span under it through the request's `RequestSpans`, which every task of
the request shares.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span

from agent.models import Page, SearchRequest
from tools.tracing import compact, pseudonym, span, start

F = TypeVar("F", bound=Callable[..., Any])
FANNED_OUT = frozenset({"similar_images"})
"""Nodes sent by the fan-out whose span is the node's own; a `run_tool` node's span is
its tool call's (`tool.<name>`, agent/nodes/tools.py)."""


@dataclass
class RequestSpans:
    """What the spans of one request share across LangGraph's tasks."""

    context: otel_context.Context
    fan_out: Span | None = None
    fan_out_at: otel_context.Context | None = None
    fanned: list[str] = field(default_factory=list)

    def open_fan_out(self, subqueries: int) -> None:
        if self.fan_out is None:
            self.fan_out = start("fan_out", {"tessera.sends": subqueries}, self.context)
            self.fan_out_at = trace.set_span_in_context(self.fan_out, self.context)

    def fan_out_context(self) -> otel_context.Context | None:
        """The context a fanned-out call starts its span in; None once the fan-out ended."""
        return self.fan_out_at

    def close_fan_out(self) -> None:
        if self.fan_out is not None:
            self.fan_out.end()
            self.fan_out = self.fan_out_at = None


_current: ContextVar[RequestSpans | None] = ContextVar("tessera_request_spans", default=None)


def current_request() -> RequestSpans | None:
    """The spans of the request running in this context, if it is traced."""
    return _current.get()


@contextmanager
def request_span(request: SearchRequest, *, streamed: bool, content: bool) -> Iterator[Span]:
    """The root of a request's own spans (a child of the HTTP server span on the web)."""
    with span("search") as root:
        spans: RequestSpans | None = None
        token = None
        if root.is_recording():
            root.set_attributes(request_attributes(request, streamed=streamed, content=content))
            spans = RequestSpans(context=otel_context.get_current())
            token = _current.set(spans)
        try:
            yield root
        finally:
            if spans is not None and token is not None:
                spans.close_fan_out()
                _current.reset(token)


def request_attributes(request: SearchRequest, *, streamed: bool, content: bool) -> dict[str, Any]:
    """What a request span says about its request; the words only when `content`."""
    attributes: dict[str, Any] = {
        "tessera.streamed": streamed,
        "tessera.k": request.k,
        "tessera.image": request.image is not None,
        "tessera.filters": compact(request.filters),
    }
    if request.thread_id:
        attributes["tessera.thread_id"] = request.thread_id
    if request.user_id:
        attributes["enduser.pseudo.id"] = pseudonym(request.user_id)
    if content:
        attributes["tessera.request.text"] = request.text
    return attributes


def describe_page(root: Span, page: Page) -> None:
    """Put what the page came to on its request span."""
    if not root.is_recording():
        return
    root.set_attributes(
        {
            "tessera.page_id": page.page_id,
            "tessera.planner": page.trace.planner,
            "tessera.modules": len(page.modules),
            "tessera.verticals": [m.vertical for m in page.modules],
            "tessera.llm_calls": page.trace.llm_calls,
        }
    )
    if page.trace.errors:
        root.set_attribute("tessera.errors", page.trace.errors[:10])


def traced_node(name: str, node: F) -> F:
    """`node` with a span named `node.<name>` around each run; LangGraph still sees its
    signature (runtime, config) through `functools.wraps`."""
    span_name = f"node.{name}"

    def parent() -> otel_context.Context | None:
        spans = _current.get()
        if spans is None:
            return None
        if name in FANNED_OUT:
            return spans.fan_out_context()
        if name == "assess":
            spans.close_fan_out()
        return None

    if inspect.iscoroutinefunction(node):

        @functools.wraps(node)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with span(span_name, context=parent()):
                return await node(*args, **kwargs)

        return run_async  # type: ignore[return-value]

    @functools.wraps(node)
    def run(*args: Any, **kwargs: Any) -> Any:
        with span(span_name, context=parent()):
            return node(*args, **kwargs)

    return run  # type: ignore[return-value]
