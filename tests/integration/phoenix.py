"""A real Arize Phoenix (`phoenix serve`) on loopback, from its own virtualenv.

Phoenix's dependencies would clash with Tessera's pins, so it lives apart:
`scripts/setup_phoenix.sh` installs it into `.venv-phoenix` (or `$PHOENIX_VENV`).
It takes OTLP/HTTP at `/v1/traces` on its web port and answers
`GET /v1/projects/default/spans` with what it stored.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.integration.services import PROJECT, ServiceMissing, _wait_http, free_port, stop_process


def phoenix_command() -> Path:
    """The `phoenix` executable of the Phoenix virtualenv; `ServiceMissing` without one."""
    venv = Path(os.environ.get("PHOENIX_VENV") or PROJECT / ".venv-phoenix")
    command = venv / "bin" / "phoenix"
    if not command.is_file():
        raise ServiceMissing(
            f"no Phoenix virtualenv at {venv}: run scripts/setup_phoenix.sh (or set PHOENIX_VENV)"
        )
    return command


@contextmanager
def phoenix_server(workdir: Path) -> Iterator[str]:
    """`phoenix serve` bound to 127.0.0.1 with its data under `workdir`; yields its URL."""
    command = phoenix_command()
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(workdir),
    }
    log = workdir / "phoenix.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(command), "serve"], stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)  # fmt: skip
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc, 240, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def trace_spans(url: str, trace_id: str) -> list[dict[str, Any]]:
    """The spans Phoenix holds for one trace (its REST API, default project)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = httpx.get(f"{url}/v1/projects/default/spans", params=params, timeout=10)
        response.raise_for_status()
        body = response.json()
        found += [s for s in body["data"] if s["context"]["trace_id"] == trace_id]
        cursor = body.get("next_cursor")
        if not cursor:
            return found
