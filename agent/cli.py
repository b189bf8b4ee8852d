"""`tessera` command line: index, search, chat, serve, llm, eval and rank.

Subcommands that belong to another area register themselves through a
`register(subparsers)` function listed in `_EXTRA`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from rich.console import Console

from agent.cli_index import add_index_parser
from agent.cli_search import add_search_parser

_EXTRA = (
    "agent.cli_llm",
    "agent.cli_eval",
    "agent.cli_chat",
    "agent.cli_serve",
    "agent.cli_events",
    "agent.cli_rank",
)

Handler = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A problem the person can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tessera", description="Agentic search: one request in, a page of modules out."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_index_parser(sub)
    add_search_parser(sub)
    for name in _EXTRA:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tessera` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    console = Console(stderr=True)
    try:
        return handler(args)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI prints a message, never a traceback
        if _is_user_error(exc):
            console.print(f"[red]error:[/] {exc}")
            return 2
        raise


def _is_user_error(exc: Exception) -> bool:
    names = {
        "UserError",
        "IndexUnavailable",
        "EmbedderUnavailable",
        "SourceUnavailable",
        "UnknownThread",
        "ModelUnavailable",
        "CatalogReadError",
        "ValidationError",
        "EventError",
        "ImageRejected",
        "VisionUnavailable",
        "DatasetError",
    }
    return any(cls.__name__ in names for cls in type(exc).__mro__)


if __name__ == "__main__":
    sys.exit(main())
