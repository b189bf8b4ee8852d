"""Backend selection by settings: embedded by default, shared engines named when down."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from agent.backends import BackendGate, probe_backends
from agent.settings import Settings
from tools.backend_errors import BackendUnavailable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_default_is_every_embedded_backend(tmp_path: Path) -> None:
    reports = probe_backends(Settings(home=tmp_path))
    assert [(r.name, r.kind, r.ok) for r in reports] == [
        ("vectors", "chroma-embedded", True),
        ("items", "sqlite", True),
        ("database", "sqlite", True),
    ]


def test_empty_variables_mean_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TESSERA_CHROMA_URL", "TESSERA_DATABASE_URL", "TESSERA_SNAPSHOT_DIR"):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert (settings.chroma_url, settings.database_url, settings.snapshots) == (None, None, None)


async def test_a_down_server_is_named_by_the_gate(tmp_path: Path) -> None:
    port = _closed_port()
    settings = Settings(
        home=tmp_path,
        chroma_url=f"http://127.0.0.1:{port}",
        database_url=f"postgresql://nobody@127.0.0.1:{port}/none",
    )
    reports = {r.name: r for r in probe_backends(settings)}
    assert not reports["vectors"].ok and not reports["database"].ok
    assert "nobody" not in reports["database"].location, "credentials are not shown"
    with pytest.raises(BackendUnavailable) as caught:
        await BackendGate(settings).require()
    assert caught.value.backend == "chroma-server"
    assert str(port) in str(caught.value)


async def test_the_gate_lets_the_embedded_default_through(tmp_path: Path) -> None:
    await BackendGate(Settings(home=tmp_path)).require()
