"""Soak test: 32 clients on loopback for a bounded time against `tessera serve` (2 workers)
whose LLM endpoint fails part of the time.

Usage: .venv/bin/python bench/bench_soak.py [--clients 32] [--seconds 60] [--fail 0.4]
       [--workers 2] [--home DIR] [--explore]

The LLM endpoint is a small OpenAI-compatible server in this process: it answers
a share `--fail` of calls with junk JSON, an HTML page, a 500, a 429 with
Retry-After or a hang, and the rest with a valid (empty) plan. Clients mix
searches, chat turns on 8 shared threads and engagement events. At the end every
shared thread is read back (each answered turn must be there, up to the 20 a thread
keeps) and every user's
profile is read (each stored event must be counted). Prints requests served,
errors by kind, p50/p95 latency, and turns and events lost. Without `--home` a
small catalog is indexed into a temporary data directory first.

`--explore` (planner `auto`) adds broad intents ("soup night with anna", a new one most
times, so most ask the LLM) to the searches, answered by the endpoint with aspect lists
or the same faults (a hang, and the call's timeout, outlast the page's deadline), and
reports, beside the rest, how far each broad intent's `/v1/search` ran past
`TESSERA_EXPLORE_DEADLINE_S`, and the latency of the searches that need no LLM ("desk
lamp"), which must never wait on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEARCHES = [
    "vegetarian soup recipes and a desk lamp under $40",
    "desk lamp",
    "soup ideas and films about cooking",
    "black desk lamp",
    "quick soup recipes",
    "lamp for reading and a soup video",
]
FOLLOW_UPS = ["cheaper", "in white", "desk lamp", "soup recipes", "cheaper"]
SHARED_THREADS = 8
HISTORY_KEPT = 20
"""A thread remembers its last 20 turns (agent/nodes/finish.py); older ones age out."""
USERS = 16
PLAN_TOPICS = ["soup", "reading", "cooking", "lamp shopping"]
PLAN_FRAMES = ["night", "weekend", "party", "afternoon"]
PLAN_GUESTS = "anna ben carla dev eli fay gus hana ivo jo kai lea max nia omar pia".split()
NO_LLM = {"desk lamp", "black desk lamp", "quick soup recipes"}
"""Searches of one thing the router places: `auto` plans them with no LLM call."""


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    turns_answered: Counter[str] = field(default_factory=Counter)
    events_stored: Counter[str] = field(default_factory=Counter)
    items: list[tuple[str, str]] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)


class FlakyLLM:
    """An OpenAI-compatible endpoint that fails a share of its calls in assorted ways."""

    FAULTS = ("junk", "html", "500", "429", "hang")

    def __init__(self, fail: float, seed: int = 7, hang_s: float = 5.0) -> None:
        self.fail = fail
        self.hang_s = hang_s
        self.random = random.Random(seed)
        self.calls: Counter[str] = Counter()
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self.reply(200, b'{"object": "list", "data": []}')

            def do_POST(self) -> None:
                self.request_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        kind = self.random.choice(self.FAULTS) if self.random.random() < self.fail else "ok"
        self.calls[kind] += 1
        send = handler.reply  # type: ignore[attr-defined]
        if kind == "junk":
            send(200, b'{"choices": [{"message": ')
        elif kind == "html":
            send(200, b"<html>502 Bad Gateway</html>", "text/html")
        elif kind == "500":
            send(500, b'{"error": {"message": "boom"}}')
        elif kind == "429":
            send(429, b'{"error": {"message": "slow down"}}')
        elif kind == "hang":
            self.stop.wait(self.hang_s)
        elif b"plan, occasion or activity" in getattr(handler, "request_body", b""):
            content = json.dumps({"ideas": ["soup"], "products": ["desk lamp"], "films": []})
            body = {"choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1}}  # fmt: skip
            send(200, json.dumps(body).encode())
        else:
            content = json.dumps({"subqueries": [], "titles": [], "suggestions": []})
            body = {"choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1}}  # fmt: skip
            send(200, json.dumps(body).encode())

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def build_home(root: Path) -> None:
    """A small catalog (soups, lamps, a few videos) indexed under `root`."""
    sys.path.insert(0, str(ROOT))
    from agent.deps import open_index
    from agent.settings import Settings
    from tools.catalog import CatalogItem, Idea, Product, Video

    items: list[CatalogItem] = []
    for n in range(40):
        items.append(Product(id=f"lamp-{n}", title=f"Desk lamp model {n}", price=10.0 + n * 3,
                             colors=["black" if n % 2 else "white"],
                             category_path=["Home", "Lighting"]))  # fmt: skip
        items.append(Idea(id=f"soup-{n}", title=f"Soup recipe {n}", total_time_min=15 + n,
                          diet=["vegetarian"] if n % 3 else []))  # fmt: skip
        items.append(Video(id=f"vid-{n}", title=f"Cooking soup video {n}", duration_s=300 + n))
    index = open_index(Settings(home=root), create=True)
    index.upsert(items)
    index.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post(
    http: httpx.AsyncClient, path: str, body: Mapping[str, object], t: Tally, kind: str = ""
) -> str:
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body)
    except httpx.HTTPError as exc:
        t.errors[f"{path} {type(exc).__name__}"] += 1
        return ""
    if response.status_code >= 400:
        t.errors[f"{path} {response.status_code}"] += 1
        return ""
    t.latencies_ms.append((time.perf_counter() - started) * 1000)
    if kind:
        t.by_kind.setdefault(kind, []).append(t.latencies_ms[-1])
    if "event: error" in response.text:
        t.errors[f"{path} stream error event"] += 1
        return ""
    return response.text


def remember_items(text: str, t: Tally) -> None:
    for marker in ('"id":"lamp-', '"id":"soup-'):
        for chunk in text.split(marker)[1:3]:
            item = marker.split('"')[-1] + chunk.split('"', 1)[0]
            t.items.append(("shopping" if item.startswith("lamp") else "ideas", item))


async def client(
    n: int, http: httpx.AsyncClient, threads: list[str], until: float, t: Tally, explore: bool
) -> None:
    rng = random.Random(n)
    user = f"soak-user-{n % USERS}"
    while time.monotonic() < until:
        roll = rng.random()
        if explore and roll < 0.25:
            topic, frame = rng.choice(PLAN_TOPICS), rng.choice(PLAN_FRAMES)
            plan = f"{topic} {frame} with {rng.choice(PLAN_GUESTS)}"
            await post(http, "/v1/search", {"query": plan, "user_id": user}, t, "exploratory")
        elif roll < 0.45:
            query = rng.choice(SEARCHES)
            kind = "no LLM" if explore and query in NO_LLM else ""
            text = await post(http, "/v1/search", {"query": query, "user_id": user}, t, kind)
            remember_items(text, t)
        elif roll < 0.8:
            thread = rng.choice(threads)
            body = {"query": rng.choice(FOLLOW_UPS), "thread_id": thread}
            text = await post(http, "/v1/chat", body, t)
            if text.rstrip().split("\n\n")[-1].startswith("event: done"):
                t.turns_answered[thread] += 1
        elif t.items:
            vertical, item = rng.choice(t.items)
            body = {"user_id": user, "item_id": item, "vertical": vertical, "kind": "click"}
            if await post(http, "/v1/events", body, t):
                t.events_stored[user] += 1


async def soak(base: str, clients: int, seconds: float, explore: bool, deadline_s: float) -> None:
    t = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        threads: list[str] = []
        for _ in range(SHARED_THREADS):
            first = await http.post("/v1/chat", json={"query": rng_start()})
            threads.append(first.text.split('"thread_id":"', 1)[1].split('"', 1)[0])
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(client(n, http, threads, until, t, explore) for n in range(clients)))
        wall = time.monotonic() - started
        turns_lost = 0
        for thread in threads:
            got = await http.get(f"/v1/threads/{thread}")
            kept = len(got.json()["turns"]) if got.is_success else 0
            turns_lost += max(0, min(t.turns_answered[thread] + 1, HISTORY_KEPT) - kept)
        events_lost = 0
        for user, stored in t.events_stored.items():
            got = await http.get(f"/v1/users/{user}/profile")
            counted = got.json().get("events", 0) if got.is_success else 0
            events_lost += max(0, stored - counted)
    ordered = sorted(t.latencies_ms)
    p50 = statistics.median(ordered) if ordered else float("nan")
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")
    print(
        f"clients={clients} wall={wall:.1f}s served={len(ordered)} "
        f"({len(ordered) / wall:.1f} req/s) p50={p50:.0f} ms p95={p95:.0f} ms"
    )
    print(f"errors by kind: {dict(t.errors) or 'none'}")
    fivexx = sum(n for kind, n in t.errors.items() if kind.split()[-1].startswith("5"))
    deliberate = sum(n for kind, n in t.errors.items() if kind.endswith(" 503"))
    print(f"5xx other than deliberate 503s: {fivexx - deliberate}")
    print(
        f"turns answered={sum(t.turns_answered.values())} lost={turns_lost}; "
        f"events stored={sum(t.events_stored.values())} lost={events_lost}"
    )
    for kind, values in sorted(t.by_kind.items()):
        ms = sorted(values)
        print(
            f"{kind}: n={len(ms)} p50={statistics.median(ms):.0f} ms "
            f"p95={ms[min(len(ms) - 1, int(0.95 * len(ms)))]:.0f} ms max={ms[-1]:.0f} ms"
        )
    plans = t.by_kind.get("exploratory", [])
    if plans:
        over = [ms / 1000 - deadline_s for ms in plans]
        print(
            f"past the {deadline_s:g} s deadline: {sum(o > 0 for o in over)} of {len(over)}, "
            f"by more than 1 s: {sum(o > 1 for o in over)}, most {max(over):+.2f} s"
        )


def rng_start() -> str:
    return "a desk lamp under $60 and soup recipes"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fail", type=float, default=0.4, help="share of LLM calls that fail")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--planner", default="llm", choices=["llm", "hybrid", "auto"],
                        help="llm (default) asks the flaky endpoint on every request; auto "
                        "asks it only when the router is unsure")  # fmt: skip
    parser.add_argument("--home", type=Path, default=None, help="TESSERA_HOME (a scratch copy)")
    parser.add_argument(
        "--explore", action="store_true", help="broad intents too; deadline overruns (auto)"
    )
    args = parser.parse_args()
    if args.explore:
        args.planner = "auto"
    deadline_s = float(os.environ.get("TESSERA_EXPLORE_DEADLINE_S", "6"))
    scratch = tempfile.TemporaryDirectory(prefix="tessera-soak-")
    home = args.home or Path(scratch.name)
    if args.home is None:
        build_home(home)
    llm = FlakyLLM(args.fail, hang_s=2 * deadline_s if args.explore else 5.0)
    port = free_port()
    env = dict(os.environ, TESSERA_HOME=str(home), TESSERA_PLANNER=args.planner,
               TESSERA_LLM_BASE_URL=llm.base_url, TESSERA_LLM_TIMEOUT_S="1",
               TESSERA_LLM_BUDGET_S="3", TESSERA_MAX_CONCURRENCY="16",
               TESSERA_QUEUE_WAIT_S="5")  # fmt: skip
    if args.explore:
        env["TESSERA_LLM_TIMEOUT_S"] = str(2 * deadline_s)
    command = [sys.executable, "-m", "agent.cli.main", "serve", "--port", str(port),
               "--workers", str(args.workers), "--log-level", "error",
               "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        last = "no answer"
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=15)
                if health.status_code == 200:
                    break
                last = f"{health.status_code} {health.text[:300]}"
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}"
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start ({last})")
            time.sleep(0.5)
        asyncio.run(soak(base, args.clients, args.seconds, args.explore, deadline_s))
        print(f"LLM endpoint calls by reply: {dict(llm.calls)}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        llm.close()
        scratch.cleanup()


if __name__ == "__main__":
    main()
