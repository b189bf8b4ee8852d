"""Real servers on loopback for the cluster test and the cluster benchmark.

A private PostgreSQL cluster (Debian's `postgresql` package, `initdb` and
`pg_ctl` as the `postgres` user when run as root), `chroma run`, and `tessera
serve` processes. Each is a context manager that stops exactly what it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[2]
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceMissing(RuntimeError):
    """A server this machine cannot run (the reason says why)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise ServiceMissing(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found


def install_postgres() -> None:
    """apt-get install postgresql when missing and running as root; else ServiceMissing."""
    try:
        pg_bin("initdb")
        return
    except ServiceMissing:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env, timeout=900
    )
    global PG_BIN_DIRS
    PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    pg_bin("initdb")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Postgres:
    """A private PostgreSQL cluster in its own temporary directory, on a loopback port."""

    def __init__(self) -> None:
        install_postgres()
        self.dir = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.sock, "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            _as_postgres([pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def ctl(self, action: str) -> None:
        """`pg_ctl start` or `stop` (fast): a database outage on demand."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c fsync=off"
        cmd = [pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "pg.log"),
               "-o", options, "-m", "fast", "-w", action]  # fmt: skip
        subprocess.run(_as_postgres(cmd), check=True, capture_output=True, timeout=120)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A started private cluster; stopped and removed afterwards."""
    server = Postgres()
    try:
        server.ctl("start")
        yield server
    finally:
        try:
            server.ctl("stop")
        except subprocess.CalledProcessError:
            pass
        server.remove()


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL the process group of `proc` if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


@contextmanager
def chroma_server(workdir: Path) -> Iterator[str]:
    """`chroma run` on a loopback port; yields its URL."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.is_file():
        raise ServiceMissing("the `chroma` command of the chromadb package is not installed")
    port = free_port()
    log = workdir / "chroma.log"
    cmd = [str(chroma), "run", "--path", str(workdir / "chroma"), "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # fmt: skip
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def tessera(args: list[str], env: Mapping[str, str], timeout: float = 600) -> str:
    """Run one `tessera` command to completion; its output, or an error with it."""
    cmd = [sys.executable, "-m", "agent.cli.main", *args]
    full = {**os.environ, **env, "PYTHONPATH": str(PROJECT), "COLUMNS": "200"}
    done = subprocess.run(cmd, env=full, cwd=PROJECT, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"tessera {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Worker:
    """One `tessera serve` process on a loopback port with its own data directory."""

    def __init__(self, home: Path, env: Mapping[str, str], port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "TESSERA_HOME": str(home), "PYTHONPATH": str(PROJECT)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / "serve.log"

    def launch(self) -> Worker:
        """Start the process without waiting for it."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / "serve.log"
        cmd = [sys.executable, "-m", "agent.cli.main", "serve", "--port", str(self.port),
               "--no-access-log", "--log-level", "warning"]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT,
                                         env=self.env, start_new_session=True)  # fmt: skip
        return self

    def wait_ready(self, timeout: float = 180) -> Worker:
        """Wait until `/healthz` answers 200."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _wait_http(f"{self.url}/healthz", self.proc, timeout, self.log)
            if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                return self
            time.sleep(0.3)
        raise RuntimeError(f"{self.url} never became healthy:\n{self.log.read_text()[-3000:]}")

    def start(self, timeout: float = 180) -> Worker:
        return self.launch().wait_ready(timeout)

    def kill(self) -> None:
        """SIGKILL the worker (a crash: no graceful shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@contextmanager
def workers(homes: list[Path], env: Mapping[str, str]) -> Iterator[list[Worker]]:
    """Start one worker per home (in parallel); stop them all at the end, whatever happened."""
    started: list[Worker] = []
    try:
        for home in homes:
            started.append(Worker(home, env).launch())
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()
