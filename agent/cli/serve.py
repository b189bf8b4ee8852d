"""`tessera serve`: the web API and chat page under uvicorn (factory `app:create_app`).

Each worker builds its own app from the environment (`TESSERA_*`), so several
workers share one index and one thread store under TESSERA_HOME; with
TESSERA_CHROMA_URL, TESSERA_DATABASE_URL and TESSERA_SNAPSHOT_DIR set, workers on
any number of machines share the same state and keep none of their own.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings
from tools.errors import UserError

PROJECT_DIR = Path(__file__).resolve().parents[2]


class ServeError(UserError):
    """The server cannot start as asked; the message says how to fix it."""


def register(subparsers: Any) -> None:
    """Add `serve [--host 127.0.0.1] [--port 8000] [--workers 1]` to the CLI."""
    parser = subparsers.add_parser("serve", help="serve the web API and the chat page")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level",
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not 1 <= args.port <= 65535:
        raise ServeError(f"--port must be between 1 and 65535, not {args.port}")
    if args.workers < 1:
        raise ServeError(f"--workers must be at least 1, not {args.workers}")
    console = Console(stderr=True)
    if (
        settings.snapshots is None
        and settings.chroma_url is None
        and not settings.index_dir.exists()
    ):
        console.print(
            f"[yellow]warning:[/] no index at {settings.index_dir}; the API answers 503 until "
            "one is built with `tessera index --starter`"
        )
    if settings.api_key is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            f"[yellow]warning:[/] serving on {args.host} without TESSERA_API_KEY: "
            "anyone who can reach this port can use the API"
        )
    console.print(f"Tessera on http://{args.host}:{args.port}/  (API docs at /docs)")
    app_dir = str(PROJECT_DIR) if (PROJECT_DIR / "app.py").is_file() else None
    uvicorn.run(
        "app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=not args.no_access_log,
        app_dir=app_dir,
        timeout_graceful_shutdown=10,
    )
    return 0
