"""Bounded load test of the web API: starts `tessera serve` on a free loopback port.

Usage: .venv/bin/python bench/bench_load.py [--clients 8,32] [--requests 12]
       [--seconds 60] [--planner rule|llm] [--home DIR]

Each client runs a two-turn chat thread (a new thread, then "cheaper"), then plain
searches until it has made `--requests` requests or the phase's time is up, and
finally reads its thread back: both turns must be there (no lost thread state).
Prints throughput, p50/p95 latency, errors and 503s per concurrency level. Needs an
index under TESSERA_HOME (`tessera index --starter`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "vegetarian soup recipes and a desk lamp under $40",
    "an office chair under $150 and comedies from the 1990s",
    "pasta recipes ready in 30 minutes",
    "black binders and a stapler",
    "documentaries about the ocean",
    "chocolate cake recipes and a red kettle",
    "summer picnic",
    "vegan curry recipes and science fiction films",
]


@dataclass
class Tally:
    """What all clients of one phase saw."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    busy: int = 0
    not_started: int = 0
    threads_ok: int = 0
    threads_lost: list[str] = field(default_factory=list)


def stats(values: list[float]) -> str:
    if not values:
        return "p50=   n/a p95=   n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50={statistics.median(ordered):7.1f} ms p95={p95:7.1f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def timed_post(http: httpx.AsyncClient, path: str, body: dict[str, object], t: Tally) -> str:
    """POST and return the body text, or '' after recording an error or a 503."""
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as exc:
        t.errors.append(f"{path}: {type(exc).__name__}: {exc}")
        return ""
    if response.status_code == 503:
        t.busy += 1
        return ""
    if response.status_code != 200:
        t.errors.append(f"{path}: {response.status_code} {response.text[:120]}")
        return ""
    t.latencies_ms.setdefault(path, []).append((time.perf_counter() - started) * 1000)
    return response.text


def page_of(stream: str) -> dict[str, object] | None:
    """The page event of an SSE body, if the stream ended with `done`."""
    blocks = [b for b in stream.strip().split("\n\n") if b]
    names = [b.split("\n", 1)[0].removeprefix("event: ") for b in blocks]
    if len(names) < 2 or names[-2:] != ["page", "done"]:
        return None
    page: dict[str, object] = json.loads(blocks[-2].split("data: ", 1)[1])
    return page


async def client(n: int, http: httpx.AsyncClient, requests: int, until: float, t: Tally) -> None:
    first_query = QUERIES[n % len(QUERIES)]
    page = page_of(await timed_post(http, "/v1/chat", {"query": first_query}, t))
    thread = str(page["thread_id"]) if page else None
    if thread:
        second = await timed_post(http, "/v1/chat", {"query": "cheaper", "thread_id": thread}, t)
        if page_of(second) is None and second:
            t.errors.append("chat follow-up: stream did not end with page, done")
    for i in range(max(0, requests - 2)):
        if time.monotonic() > until:
            break
        await timed_post(http, "/v1/search", {"query": QUERIES[(n + i) % len(QUERIES)]}, t)
    if thread is None:
        t.not_started += 1
    else:
        got = await http.get(f"/v1/threads/{thread}")
        texts = [turn["text"] for turn in got.json().get("turns", [])] if got.is_success else []
        if texts[-2:] == [first_query, "cheaper"]:
            t.threads_ok += 1
        else:
            t.threads_lost.append(thread)


async def phase(
    base: str, clients: int, requests: int, seconds: float, key: str | None, quiet: bool = False
) -> None:
    t = Tally()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits, headers=headers
    ) as http:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client(n, http, requests, until, t) for n in range(clients)))
        wall = time.monotonic() - started
    if quiet:
        return
    every = [ms for values in t.latencies_ms.values() for ms in values]
    print(
        f"clients={clients:3d} ok={len(every):4d} wall={wall:5.1f}s "
        f"throughput={len(every) / wall:5.1f} req/s {stats(every)} errors={len(t.errors)} "
        f"busy_503={t.busy} threads_ok={t.threads_ok}/{clients} lost={len(t.threads_lost)} "
        f"not_started={t.not_started}"
    )
    for path, values in sorted(t.latencies_ms.items()):
        print(f"  {path:11s} n={len(values):4d} {stats(values)}")
    for line in t.errors[:5]:
        print(f"  error: {line}")


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TESSERA_PLANNER=args.planner)
    if args.home:
        env["TESSERA_HOME"] = str(args.home)
    if args.max_concurrency:
        env["TESSERA_MAX_CONCURRENCY"] = str(args.max_concurrency)
    command = [
        sys.executable,
        "-m",
        "agent.cli.main",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout_s: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=5)
            if response.status_code == 200:
                health: dict[str, object] = response.json()
                return health
            if response.status_code == 503:
                raise SystemExit(f"server has no index: {response.json()['index']['detail']}")
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the server did not answer /healthz within {timeout_s:g}s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", default="8,32", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=12, help="requests per client (>= 2)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time bound per level")
    parser.add_argument("--planner", choices=["rule", "llm"], default="rule")
    parser.add_argument("--home", type=Path, default=None, help="TESSERA_HOME for the server")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="measure from a cold server (no warm-up thread first)",
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="TESSERA_MAX_CONCURRENCY for the server (default: its setting)",
    )
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args, port)
    try:
        health = wait_ready(base, proc, 300 if args.planner == "llm" else 120)
        print(f"server {base} index={health['index']} planner={health['llm']}")
        key = os.environ.get("TESSERA_API_KEY")
        if args.warmup:
            asyncio.run(phase(base, 1, 2, args.seconds, key, quiet=True))
        for level in (int(c) for c in args.clients.split(",")):
            asyncio.run(phase(base, level, max(2, args.requests), args.seconds, key))
        if args.planner == "llm":
            print("note: a local LLM server this run started keeps running: `tessera llm stop`")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
