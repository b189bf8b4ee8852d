"""What tracing costs: the graph bench with tracing off against a configured OTLP exporter.

Usage: .venv/bin/python bench/bench_tracing.py [--requests 320] [--block 1] [--query "..."]
Needs an index under TESSERA_HOME (`tessera index --starter`). One process, one index.
Tracing is on as production has it: the SDK's provider with a BatchSpanProcessor and
the OTLP/HTTP exporter (it reads OTEL_EXPORTER_OTLP_ENDPOINT, set here to a loopback
collector in this process, so every span is batched, encoded and posted). Requests
then alternate (ABBA, in blocks of `--block`) between "on" (Tessera's tracer is the
SDK's) and "off" (Tessera's tracer is the API's no-op tracer, what it is when nothing
is configured), so the machine's load drifts on both alike. The request is the
rule-planner one of bench_graph.py without the result cache (every run retrieves).
Exports run on the processor's own thread; their CPU time is reported per traced
request, apart. Prints p50/p95 per mode, the p50 ratio (target <= 1.03), the median of
the ratios of neighbouring on/off blocks (steadier under a changing load), the CPU
tracing adds per request (the process's CPU time, which a busy machine disturbs far
less than wall time), spans received and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import tools.tracing
from agent.deps import open_deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings
from agent.telemetry import install

QUERY = "vegetarian soup recipes, an office chair under $150 and comedies from the 1990s"


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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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


async def measure(query: str, requests: int, block: int) -> None:
    collector = Collector()
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    exporter = TimedExporter(OTLPSpanExporter())
    install([BatchSpanProcessor(exporter)])
    settings = Settings(planner="rule")
    tracers = {"on": tools.tracing.tracer(), "off": trace.NoOpTracer()}
    times: dict[str, list[float]] = {"off": [], "on": []}
    cpus: dict[str, list[float]] = {"off": [], "on": []}
    async with open_deps(settings, use_llm=False) as deps:
        deps.caches = None
        engine = Engine(deps)
        request = SearchRequest(text=query)
        for _ in range(3):
            await engine.search(request)
        blocks: list[float] = []
        for number in range(max(4, requests // block // 4 * 4)):
            mode = "off" if number % 4 in (0, 3) else "on"
            tools.tracing._tracer = tracers[mode]
            taken: list[float] = []
            for _ in range(block):
                started, cpu = time.perf_counter(), time.process_time()
                await engine.search(request)
                taken.append((time.perf_counter() - started) * 1000)
                cpus[mode].append((time.process_time() - cpu) * 1000)
            times[mode] += taken
            blocks.append(statistics.median(taken))
        tools.tracing._tracer = tracers["on"]
    provider: Any = trace.get_tracer_provider()
    provider.force_flush()
    off, on = times["off"], times["on"]
    print(f"query: {query!r}; {requests} requests alternating in blocks of {block}, ABBA")
    for mode, values in times.items():
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"tracing {mode:3s} n={len(values)} p50={p50:.1f} ms p95={p95:.1f} ms")
    print(
        f"p50 ratio on/off: {statistics.median(on) / statistics.median(off):.3f} (target <= 1.03)"
    )
    paired = [blocks[i + 1] / blocks[i] for i in range(0, len(blocks), 4)]
    paired += [blocks[i + 2] / blocks[i + 3] for i in range(0, len(blocks), 4)]
    print(
        f"median of paired ratios (each on block / its neighbouring off block): "
        f"{statistics.median(paired):.3f}"
    )
    traced = len(on) + 3
    print(f"spans received by the collector: {collector.spans} ({traced} traced requests)")
    per_request = exporter.seconds * 1000 / traced
    print(f"export CPU (processor thread): {per_request:.2f} ms per traced request")
    cpu_off, cpu_on = statistics.median(cpus["off"]), statistics.median(cpus["on"])
    cost = cpu_on - cpu_off + per_request
    print(
        f"process CPU per request p50: off {cpu_off:.1f} ms, on {cpu_on:.1f} ms; tracing's "
        f"CPU (spans + export) {cost:.2f} ms = {cost / cpu_off:.1%} of an untraced request"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--block", type=int, default=1)
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"):
        os.environ.pop(name, None)
    asyncio.run(measure(args.query, args.requests, args.block))


if __name__ == "__main__":
    main()
