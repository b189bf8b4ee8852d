"""`tessera chat`: a multi-turn conversation in the terminal; threads persist under TESSERA_HOME.

The edge of the REPL: it builds the dependencies and the SQLite checkpointer on
one event loop (an `asyncio.Runner` that lives as long as the conversation),
enables readline history when a terminal is attached, and hands over to
`ChatRepl`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from agent.cli.search import add_planner_option, add_trace_option
from agent.settings import Settings
from tools.catalog import VERTICALS

if TYPE_CHECKING:
    from agent.deps import Deps

HISTORY_FILE = "chat_history"
HISTORY_LINES = 1000


def register(sub: Any) -> None:
    """Add `chat` to the `tessera` subcommands."""
    parser = sub.add_parser("chat", help="multi-turn conversation; threads persist")
    parser.add_argument("--thread", metavar="ID", default=None, help="resume an earlier thread")
    parser.add_argument("--json", action="store_true", help="print pages as JSON (/json toggles)")
    add_planner_option(parser)
    add_trace_option(parser)
    parser.set_defaults(handler=run_chat)


def run_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Open the index and thread store, optionally resume a thread, then read lines."""
    from agent.cli.repl import ChatRepl
    from agent.deps import open_deps
    from agent.engine import Engine, UnknownThread
    from agent.memory import open_checkpointer

    overrides = {"planner": args.planner} if args.planner else {}
    settings = settings.model_copy(update=overrides)
    console = Console()
    with asyncio.Runner() as runner, _readline_history(settings.root / HISTORY_FILE):
        stack = AsyncExitStack()
        try:
            with console.status("loading the index and models …"):
                deps = runner.run(
                    stack.enter_async_context(open_deps(settings, vision=True, serving=True))
                )
            saver = runner.run(stack.enter_async_context(open_checkpointer(settings)))
            engine = Engine(deps, saver)
            stack.push_async_callback(engine.aclose)
            repl = ChatRepl(
                engine, console, input, as_json=args.json, k=settings.page_size, trace=args.trace
            )
            turns = None
            if args.thread is not None:
                try:
                    turns = runner.run(repl.resume(args.thread.strip()))
                except UnknownThread:
                    Console(stderr=True).print(
                        f"[red]error:[/] no thread '{escape(args.thread)}' under "
                        f"{settings.root}; start a new conversation with `tessera chat` "
                        "(without --thread); in it, /threads lists the earlier threads"
                    )
                    return 2
            _banner(console, deps)
            if turns is not None:
                repl.announce_resumed(turns)
            return repl.loop(runner.run)
        finally:
            runner.run(stack.aclose())


def _banner(console: Console, deps: Deps) -> None:
    counts = ", ".join(f"{deps.index.count(v)} {v}" for v in VERTICALS)
    console.print(f"[bold]Tessera chat[/] · index: {counts}")
    console.print("[dim]type a request; /help lists commands; /exit or Ctrl-D leaves[/]")


@contextmanager
def _readline_history(path: Path) -> Iterator[None]:
    """Line editing and a persistent history for `input` when a terminal is attached."""
    if not sys.stdin.isatty():
        yield
        return
    try:
        import readline
    except ImportError:
        yield
        return
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(HISTORY_LINES)
    try:
        yield
    finally:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError:
            pass
