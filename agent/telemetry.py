"""OpenTelemetry set-up at the edges (web app, CLI, eval runner): off unless configured.

`configure_tracing(settings)` installs the SDK's tracer provider only when the
environment names an exporter: `OTEL_TRACES_EXPORTER` (otlp, console; none turns it
off) or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, or its `_TRACES_` form),
and never with `OTEL_SDK_DISABLED=true`. The SDK reads the rest of the spec's
variables itself: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the resource;
the service is `tessera` unless named), `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_BSP_*`,
`OTEL_EXPORTER_OTLP_*` (headers, timeout, compression, certificates). Once on, the
maintained instrumentations trace outgoing HTTP (httpx: the LLM and the Chroma
server) and PostgreSQL (psycopg), and log records carry the trace and span ids.
With nothing configured, nothing here runs and Tessera's span blocks are one shared
no-op (tools/tracing.py): no span is made. `install` hands the provider to
`tools.tracing.enable`, which switches them on.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

import tools.tracing
from agent.settings import Settings

logger = logging.getLogger("tessera.telemetry")
LOG_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s "
    "[trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] %(message)s"
)
_state: dict[str, Any] = {"provider": None}


def exporter_names(settings: Settings) -> list[str]:
    """The exporters the environment asks for, as the spec reads it; [] means off."""
    if settings.otel_disabled:
        return []
    if settings.otel_exporters is not None:
        names = [n.strip().lower() for n in settings.otel_exporters.split(",") if n.strip()]
        return [n for n in names if n != "none"]
    return ["otlp"] if settings.otel_endpoint else []


def _exporter(name: str, settings: Settings) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise ValueError(f"unknown OTEL_TRACES_EXPORTER {name!r}; use otlp, console or none")
    if settings.otel_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter()


def tracing_on() -> bool:
    """True once this process exports traces."""
    return _state["provider"] is not None


def configure_tracing(settings: Settings) -> bool:
    """Export traces when the environment says where; True when tracing is on. Idempotent."""
    if tracing_on():
        return True
    names = exporter_names(settings)
    if not names:
        return False
    processors: list[SpanProcessor] = [
        BatchSpanProcessor(_exporter(name, settings)) for name in names
    ]
    install(processors)
    logger.info("exporting traces with %s", ", ".join(names))
    return True


def install(processors: list[SpanProcessor]) -> TracerProvider:
    """Make an SDK provider with these processors the global one and instrument the seams
    (tests and the tracing bench pass their own exporters here)."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "tessera"}))
    provider = TracerProvider(resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    tools.tracing.enable(provider)
    _state["provider"] = provider
    _instrument_clients()
    correlate_logs()
    return provider


def _instrument_clients() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument()
    try:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    except ImportError:
        return
    PsycopgInstrumentor().instrument(enable_commenter=False)


def instrument_app(app: Any) -> None:
    """Trace every FastAPI request (a server span each) when tracing is on."""
    if not tracing_on():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"])


def correlate_logs() -> None:
    """Give every log record `otelTraceID` and `otelSpanID` (zeros outside a span), and
    print Tessera's own loggers with them when nothing else configured a handler."""
    if getattr(logging.getLogRecordFactory(), "_tessera_trace_ids", False):
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        context = trace.get_current_span().get_span_context()
        record.otelTraceID = trace.format_trace_id(context.trace_id)
        record.otelSpanID = trace.format_span_id(context.span_id)
        return record

    factory._tessera_trace_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    for name in ("tessera", "agent", "tools"):
        named = logging.getLogger(name)
        if not named.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            named.addHandler(handler)
            named.setLevel(logging.INFO)
