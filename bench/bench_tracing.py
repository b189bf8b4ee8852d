"""What tracing costs: the graph bench with tracing off against a configured OTLP exporter.

Usage: .venv/bin/python bench/bench_tracing.py [--requests 300] [--query "..."]
Needs an index under TESSERA_HOME (`tessera index --starter`). One process, one index.
Tracing is on as production has it: the SDK's provider with a BatchSpanProcessor and
the OTLP/HTTP exporter (it reads OTEL_EXPORTER_OTLP_ENDPOINT, set here to a loopback
collector in this process, so every span is batched, encoded and posted). The request
is the rule-planner one of bench_graph.py without the result cache (every run
retrieves). Three modes take turns request by request, in an order that rotates each
round so none always runs first:

- off: no tracer enabled, what Tessera is when nothing is configured;
- spans: the SDK's spans made and ended, handed to no exporter (the request's own cost);
- on: spans made, batched and exported.

Prints p50/p95 per mode; the p50 ratio on/off (target <= 1.03) with a bootstrap 95%
interval; the median of each round's on/off ratio; the process CPU per request; the
CPU the exports take on the processor's thread, and tracing's CPU all told (steadier
than wall time on a busy machine); what the span helpers cost when off
(timed in a loop, times the spans a request makes); and the load average before and
after, since the machine may be shared. OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_* apply
as they would in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import tools.tracing
from agent.deps import open_deps, settle_heap
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings
from agent.telemetry import install

QUERY = "vegetarian soup recipes, an office chair under $150 and comedies from the 1990s"
MODES = ("off", "spans", "on")


class Collector:
    """A loopback OTLP/HTTP trace receiver that counts the spans posted to it."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        self.spans = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = ExportTraceServiceRequest.FromString(body)
                outer.spans += sum(
                    len(scope.spans) for rs in request.resource_spans for scope in rs.scope_spans
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"


class TimedExporter(SpanExporter):
    """The OTLP exporter, with the CPU time of its exports (encoding, posting) added up."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.seconds = 0.0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        started = time.thread_time()
        try:
            return self.inner.export(spans)
        finally:
            self.seconds += time.thread_time() - started

    def shutdown(self) -> None:
        self.inner.shutdown()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio_interval(on: list[float], off: list[float], draws: int = 1000) -> tuple[float, float]:
    """A bootstrap 95% interval for median(on) / median(off)."""
    rng = random.Random(25)
    ratios = sorted(
        statistics.median(rng.choices(on, k=len(on)))
        / statistics.median(rng.choices(off, k=len(off)))
        for _ in range(draws)
    )
    return ratios[int(0.025 * draws)], ratios[int(0.975 * draws)]


def off_helper_us(loops: int = 200_000) -> float:
    """Microseconds one `span` block costs with tracing off (its call, enter and exit)."""
    tools.tracing.enable(None)
    attributes = {"tessera.vertical": "ideas"}
    started = time.perf_counter()
    for _ in range(loops):
        with tools.tracing.span("retrieve.lexical", attributes) as current:
            current.is_recording()
    return (time.perf_counter() - started) / loops * 1e6


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def measure(query: str, requests: int) -> None:
    collector = Collector()
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    exporter = TimedExporter(OTLPSpanExporter())
    exporting = install([BatchSpanProcessor(exporter)])
    dropping = TracerProvider(resource=exporting.resource)
    dropping.add_span_processor(SpanProcessor())
    # fetched once: the SDK's get_tracer adds a warnings filter on every call, which
    # empties every module's warning registry and would tax the next request
    tracers = {
        "off": None,
        "spans": dropping.get_tracer(tools.tracing.TRACER_NAME),
        "on": exporting.get_tracer(tools.tracing.TRACER_NAME),
    }
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    cpus: dict[str, list[float]] = {mode: [] for mode in MODES}
    before = load()
    async with open_deps(Settings(planner="rule"), use_llm=False) as deps:
        deps.caches = None
        engine = Engine(deps)
        settle_heap()  # as `tessera serve` does once it has started
        request = SearchRequest(text=query)
        for mode in MODES * 3:
            tools.tracing.use(tracers[mode])
            await engine.search(request)
        exported_before, seconds_before = collector.spans, exporter.seconds
        exporting.force_flush()
        for turn in range(requests):
            order = MODES[turn % 3 :] + MODES[: turn % 3]
            for mode in order if turn % 2 else order[::-1]:
                tools.tracing.use(tracers[mode])
                started, cpu = time.perf_counter(), time.process_time()
                await engine.search(request)
                times[mode].append((time.perf_counter() - started) * 1000)
                cpus[mode].append((time.process_time() - cpu) * 1000)
        tools.tracing.enable(exporting)
        exporting.force_flush()
    report(query, requests, times, cpus)
    spans = (collector.spans - exported_before) / requests
    per_request = (exporter.seconds - seconds_before) * 1000 / requests
    print(f"spans exported: {spans:.1f} a request; export CPU {per_request:.2f} ms a request")
    cpu_off = statistics.median(cpus["off"])
    cost = statistics.median(cpus["on"]) - cpu_off + per_request
    print(
        f"tracing's CPU a request (process CPU p50 on - off, plus the exports): {cost:.2f} ms "
        f"= {cost / cpu_off:.1%} of an untraced request's"
    )
    off_us = off_helper_us()
    share = spans * off_us / 1000 / statistics.median(times["off"])
    print(
        f"tracing off: {off_us:.2f} us a span block, {spans * off_us:.1f} us a request "
        f"({share:.3%} of the p50)"
    )
    print(f"load average before: {before}; after: {load()}")


def report(
    query: str, requests: int, times: dict[str, list[float]], cpus: dict[str, list[float]]
) -> None:
    print(f"query: {query!r}; {requests} requests in each mode, taking turns")
    for mode in MODES:
        values = times[mode]
        print(
            f"{mode:5s} p50={statistics.median(values):.2f} ms p95={pct(values, 0.95):.1f} ms "
            f"process CPU p50={statistics.median(cpus[mode]):.2f} ms"
        )
    off, on, spans = times["off"], times["on"], times["spans"]
    low, high = ratio_interval(on, off)
    print(
        f"p50 ratio on/off: {statistics.median(on) / statistics.median(off):.3f} "
        f"(95% {low:.3f}-{high:.3f}; target <= 1.03); spans/off "
        f"{statistics.median(spans) / statistics.median(off):.3f}"
    )
    rounds = statistics.median(a / b for a, b in zip(on, off, strict=True))
    print(f"median of each round's on/off ratio: {rounds:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="requests in each mode")
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"):
        os.environ.pop(name, None)
    asyncio.run(measure(args.query, args.requests))


if __name__ == "__main__":
    main()
