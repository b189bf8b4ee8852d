"""A span per LLM call, in OpenTelemetry's GenAI semantic conventions.

The span is named `chat <model>` (client kind) and carries the model, the generation
cap, the input, output and cache-read token counts the server reported, the finish
reason and Tessera's name for the call (plan, split, titles...). The messages and the
reply go on the span only when `TESSERA_TRACE_CONTENT` is on, as
`gen_ai.input.messages` / `gen_ai.output.messages` JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from tools.tracing import enabled, span

if TYPE_CHECKING:
    from agent.llm.client import CallRecord


@contextmanager
def llm_span(model: str, base_url: str, name: str, max_tokens: int) -> Iterator[Span]:
    """The span of one attempt at a chat completion (its attributes built only when on)."""
    if not enabled():
        yield INVALID_SPAN
        return
    url = urlsplit(base_url)
    attributes: dict[str, AttributeValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": max_tokens,
        "gen_ai.request.temperature": 0.0,
        "server.address": url.hostname or "",
        "server.port": url.port or (443 if url.scheme == "https" else 80),
        "tessera.llm.call": name,
    }
    with span(f"chat {model}", attributes, kind=SpanKind.CLIENT) as current:
        yield current


def describe_call(
    current: Span,
    record: CallRecord | None,
    messages: list[dict[str, str]],
    reply: str | None,
    content: bool,
) -> None:
    """Token counts and outcome from the budget's record; the text only when `content`."""
    if record is not None:
        current.set_attributes(
            {
                "gen_ai.usage.input_tokens": record.prompt_tokens,
                "gen_ai.usage.output_tokens": record.completion_tokens,
                "gen_ai.usage.cache_read.input_tokens": record.cached_tokens,
                "tessera.llm.outcome": record.outcome,
            }
        )
        if record.outcome == "ok":
            current.set_attribute("gen_ai.response.finish_reasons", [record.detail or "stop"])
        else:
            current.set_attribute("error.type", record.outcome)
            current.set_status(Status(StatusCode.ERROR, record.detail[:200]))
    if content:
        current.set_attribute("gen_ai.input.messages", json.dumps(messages))
        if reply is not None:
            output = [{"role": "assistant", "content": reply}]
            current.set_attribute("gen_ai.output.messages", json.dumps(output))
