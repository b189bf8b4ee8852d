"""Set-up's background install of the local model, seen from the processes that need it.

The install job (`agent.llm.install`) holds an exclusive `flock` for as long as it
runs and keeps a status file (stage, percent, error) beside its lock and log under
`<venv>/share/tessera/run`: every process of this environment, whatever its
TESSERA_HOME, can tell that it runs. Whatever starts the LLM goes through
`ensure_model` or `wait_for`, which wait for it, print how far it is, and give up
after `settings.llm_install_wait_s` with an error that names the log.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path
from typing import Literal, TextIO

from pydantic import BaseModel

from agent.llm.model_file import SPECS, ModelUnavailable, Size, assemble, verified
from agent.settings import Settings

Stage = Literal["starting", "downloading", "installing", "assembling", "ready", "failed"]


POLL_S = 0.5


class InstallStatus(BaseModel):
    """What the install job is doing, as its status file records it."""

    size: str
    pid: int
    stage: Stage
    percent: int = 0
    model: str = ""
    error: str = ""
    log: str = ""


def state_dir() -> Path:
    """Where this environment's install jobs keep their lock, status and log."""
    return Path(sys.prefix) / "share" / "tessera" / "run"


def paths(size: str, folder: Path | None) -> tuple[Path, Path, Path]:
    base = folder or state_dir()
    name = f"llm-install-{size}"
    return base / f"{name}.lock", base / f"{name}.json", base / f"{name}.log"


def read_status(size: str, folder: Path | None = None) -> InstallStatus | None:
    """The last status the job wrote; None when no job ever ran here."""
    try:
        return InstallStatus.model_validate_json(paths(size, folder)[1].read_text())
    except (OSError, ValueError):
        return None


def write_status(status: InstallStatus, folder: Path | None) -> None:
    path = paths(status.size, folder)[1]
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(status.model_dump_json())
    os.replace(tmp, path)


def running(size: str, folder: Path | None = None) -> bool:
    """True while a job for `size` holds its lock."""
    lock = paths(size, folder)[0]
    if not lock.is_file():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def pending_for(settings: Settings, size: str, folder: Path | None = None) -> bool:
    """True while a job runs that will assemble `size` into this TESSERA_HOME."""
    if not running(size, folder):
        return False
    status = read_status(size, folder)
    target = str(settings.models_dir / SPECS[size].filename)
    return status is None or status.model in ("", target)


def wait_for(
    settings: Settings,
    size: str,
    *,
    folder: Path | None = None,
    out: TextIO | None = None,
) -> None:
    """Return once no install job for `size` runs, at once when none does.

    While one runs, a line on `out` (stderr) says how far it is. Raises
    `ModelUnavailable` when it does not end within `settings.llm_install_wait_s`,
    or when the job it waited for failed.
    """
    if not running(size, folder):
        return
    stream = out or sys.stderr
    show = _Progress(stream)
    deadline = time.monotonic() + settings.llm_install_wait_s
    while running(size, folder):
        status = read_status(size, folder)
        show(status.percent if status else 0)
        if time.monotonic() > deadline:
            show.end()
            log = status.log if status else str(paths(size, folder)[2])
            raise ModelUnavailable(
                f"the language model is still installing after "
                f"{settings.llm_install_wait_s:.0f} s (its log: {log}); try again once "
                f"`tessera llm status` says it is assembled, or raise TESSERA_LLM_INSTALL_WAIT_S"
            )
        time.sleep(POLL_S)
    status = read_status(size, folder)
    show(100 if status and status.stage == "ready" else status.percent if status else 0)
    show.end()
    if status is not None and status.stage == "failed":
        raise ModelUnavailable(
            f"installing the language model failed: {status.error} (log: {status.log}); "
            "rerun `bash scripts/setup.sh`"
        )


class _Progress:
    """'Waiting for the language model to finish installing… NN%': rewritten in place on a
    terminal, otherwise a new line each 10 points."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = -1

    def __call__(self, percent: int) -> None:
        if percent == self.shown or (not self.tty and 0 <= percent - self.shown < 10):
            return
        line = f"Waiting for the language model to finish installing… {percent}%"
        self.stream.write(f"\r{line}" if self.tty else f"{line}\n")
        self.stream.flush()
        self.shown = percent

    def end(self) -> None:
        if self.tty and self.shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


def ensure_model(settings: Settings, size: Size) -> Path:
    """The verified GGUF for `size` under `settings.models_dir`, assembling it if needed.

    While set-up's background install of that model still runs, waits for it first
    (a progress line on stderr, `settings.llm_install_wait_s` at most).
    """
    spec = SPECS[size]
    done = verified(spec, settings.models_dir)
    if done is not None:
        return done
    wait_for(settings, size)
    return assemble(spec, settings.models_dir)
