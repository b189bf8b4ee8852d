"""What tracing costs: the graph bench with tracing off against a configured OTLP exporter.

Usage: .venv/bin/python bench/bench_tracing.py [--blocks 8] [--block 10] [--query "..."]
Needs an index under TESSERA_HOME (`tessera index --starter`). One process, one index:
tracing is configured the production way (`configure_tracing` with
OTEL_EXPORTER_OTLP_ENDPOINT pointing at a loopback OTLP/HTTP collector in this
process, so every span is batched, encoded and posted), then blocks of requests
alternate (ABBA) between "on" (Tessera's tracer is the SDK's) and "off" (Tessera's
tracer is the API's no-op tracer, what it is when nothing is configured), so drift in
the machine's load falls on both. The request is the rule-planner one of
bench_graph.py without the result cache (every run retrieves). Prints p50/p95 per
mode, the p50 ratio (target <= 1.03), the spans the collector received and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import trace

import tools.tracing
from agent.deps import open_deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings
from agent.telemetry import configure_tracing

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


async def measure(query: str, blocks: int, block: int) -> None:
    collector = Collector()
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint
    settings = Settings(planner="rule")
    if not configure_tracing(settings):
        raise SystemExit("tracing did not switch on with OTEL_EXPORTER_OTLP_ENDPOINT set")
    tracers = {"on": tools.tracing.tracer(), "off": trace.NoOpTracer()}
    times: dict[str, list[float]] = {"off": [], "on": []}
    async with open_deps(settings, use_llm=False) as deps:
        deps.caches = None
        engine = Engine(deps)
        request = SearchRequest(text=query)
        for _ in range(3):
            await engine.search(request)
        for number in range(blocks):
            mode = "off" if number % 4 in (0, 3) else "on"
            tools.tracing._tracer = tracers[mode]
            for _ in range(block):
                started = time.perf_counter()
                await engine.search(request)
                times[mode].append((time.perf_counter() - started) * 1000)
        tools.tracing._tracer = tracers["on"]
    provider: Any = trace.get_tracer_provider()
    provider.force_flush()
    off, on = times["off"], times["on"]
    print(f"query: {query!r}; {blocks} blocks of {block} requests, ABBA")
    for mode, values in times.items():
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"tracing {mode:3s} n={len(values)} p50={p50:.1f} ms p95={p95:.1f} ms")
    print(
        f"p50 ratio on/off: {statistics.median(on) / statistics.median(off):.3f} (target <= 1.03)"
    )
    print(f"spans received by the collector: {collector.spans} ({len(on) + 3} traced requests)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER"):
        os.environ.pop(name, None)
    asyncio.run(measure(args.query, args.blocks, args.block))


if __name__ == "__main__":
    main()
