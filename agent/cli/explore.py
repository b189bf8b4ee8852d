"""`tessera explore precompute [FILE]`: store the aspects of common broad intents ahead of time."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings
from tools.errors import UserError

_out = Console()


def register(subparsers: Any) -> None:
    """Add `explore precompute` to the CLI."""
    parser = subparsers.add_parser("explore", help="broad intents opened into aspects")
    actions = parser.add_subparsers(dest="explore_command", required=True)
    pre = actions.add_parser(
        "precompute",
        help="ask the LLM once for each intent of FILE not stored yet, so those pages never wait",
    )
    pre.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=None,
        help="one intent a line (default: the shipped list)",
    )
    pre.set_defaults(handler=run_precompute)


def run_precompute(args: argparse.Namespace, settings: Settings) -> int:
    from agent.planning.precompute import COMMON_INTENTS, read_intents

    path = args.file or COMMON_INTENTS
    if not path.is_file():
        raise UserError(f"no file {path}")
    intents = read_intents(path)
    if not intents:
        raise UserError(f"{path} lists no intents")
    return asyncio.run(_precompute(settings, intents))


async def _precompute(settings: Settings, intents: list[str]) -> int:
    from agent.deps import open_deps
    from agent.planning.precompute import precompute

    async with open_deps(settings) as deps:
        if deps.llm is None:
            raise UserError(f"no LLM to ask: {deps.planner_note}")
        if deps.expansions is None:
            raise UserError("no expansion store is configured")
        results = await precompute(deps, intents, settings.llm_timeout_s)
    for r in results:
        colour = {"stored": "green", "already stored": "dim", "failed": "red"}[r.outcome]
        _out.print(f"[{colour}]{r.outcome:>14}[/] {r.intent} ({r.kept} aspects) {r.detail}")
    failed = sum(r.outcome == "failed" for r in results)
    _out.print(f"{len(results) - failed} of {len(results)} intents stored")
    return 1 if failed else 0
