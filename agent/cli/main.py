"""`tessera` command line: index, search, chat, serve, llm, events, eval, rank, db, explore.

Every subcommand is registered here, explicitly. Settings are read once, here,
and handed to the handler; an error a person can fix (`UserError` or a
settings `ValidationError`) is printed as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from rich.console import Console

from agent.cli import chat, db, events, explore, index, llm, rank, search, serve
from agent.settings import Settings
from agent.telemetry import configure_tracing
from evals import cli as eval_cli
from tools.errors import UserError

Handler = Callable[[argparse.Namespace, Settings], int]

__all__ = ["UserError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tessera", description="Agentic search: one request in, a page of modules out."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    index.add_index_parser(sub)
    search.add_search_parser(sub)
    for register in (llm.register, eval_cli.register, chat.register, serve.register):
        register(sub)
    events.register(sub)
    rank.register(sub)
    db.register(sub)
    explore.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tessera` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    console = Console(stderr=True)
    try:
        settings = Settings()
        configure_tracing(settings)
        return handler(args, settings)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130
    except (UserError, ValidationError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
