"""The conversation REPL behind `tessera chat`, independent of any terminal.

`ChatRepl` reads lines through an input function (so `input` and its readline
history work in a real terminal, and tests pass scripted lines), runs each line
as a turn of the current thread and prints to a rich console. The line loop is
synchronous and hands every coroutine to a runner (`asyncio.Runner.run`), so
Ctrl-C at the prompt clears the line and Ctrl-C during a turn cancels only that
turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rich.console import Console
from rich.markup import escape

from agent.cli.render import print_page, print_trace
from agent.cli.render_live import follow_stream, print_page_json
from agent.engine import Engine, UnknownThread
from agent.models import SearchRequest
from agent.state import Turn

PROMPT = "tessera> "
MAX_TEXT = 10_000
COMMANDS: dict[str, str] = {
    "/new": "start a new thread",
    "/threads": "list recent threads",
    "/history": "show the turns of this thread",
    "/json": "toggle printing pages as JSON",
    "/trace": "toggle showing how each page was made (planner, steps)",
    "/image": "/image PATH [words]: search with a picture, optionally with words",
    "/exact": "/exact [words]: search the words as typed, no spelling correction "
    "(alone: the last corrected request)",
    "/help": "show this help",
    "/exit": "leave (also Ctrl-D)",
}
ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help"}

T = TypeVar("T")
log = logging.getLogger(__name__)
ReadLine = Callable[[str], str]


class RunAsync(Protocol):
    """Runs a coroutine to completion on the REPL's event loop (`asyncio.Runner.run`)."""

    def __call__(self, coro: Coroutine[Any, Any, T], /) -> T: ...


class ChatRepl:
    """A multi-turn conversation with the engine: one input line, one turn."""

    def __init__(
        self,
        engine: Engine,
        console: Console,
        read_line: ReadLine = input,
        *,
        as_json: bool = False,
        k: int = 8,
        trace: bool = False,
    ) -> None:
        self.engine = engine
        self.console = console
        self.read_line = read_line
        self.as_json = as_json
        self.trace = trace
        self.k = k
        self.thread_id: str | None = None
        self._thread_saved = False
        self._typed: str | None = None

    async def resume(self, thread_id: str) -> list[Turn]:
        """Continue an existing thread; raises `UnknownThread` if it has no state."""
        turns = await self.engine.history(thread_id)
        self.thread_id = thread_id
        self._thread_saved = True
        return turns

    def announce_resumed(self, turns: list[Turn]) -> None:
        """One line naming the resumed thread, its length and its last request."""
        last = f'; last: "{escape(turns[-1].text)}"' if turns else ""
        count = _plural(len(turns), "turn")
        self.console.print(f"resumed thread [bold]{self.thread_id}[/] ({count}{last})")

    def loop(self, run: RunAsync) -> int:
        """Read and handle lines until /exit or end of input; returns the exit code."""
        while True:
            try:
                line = self.read_line(PROMPT)
            except EOFError:
                self.console.print()
                return 0
            except KeyboardInterrupt:
                self.console.print("^C")
                continue
            try:
                if not run(self.handle(line)):
                    return 0
            except KeyboardInterrupt:
                self.console.print("[yellow]turn cancelled[/]")

    async def handle(self, line: str) -> bool:
        """Run one line: a command or a turn. Returns False when the REPL should stop."""
        text = line.strip()
        if not text:
            return True
        if text.startswith("/"):
            return await self.command(text)
        await self.turn(text)
        return True

    async def command(self, text: str) -> bool:
        """Run a slash command; an unknown one prints the list of commands."""
        name = text.split()[0].lower()
        name = ALIASES.get(name, name)
        match name:
            case "/exit":
                return False
            case "/help":
                for cmd, what in COMMANDS.items():
                    self.console.print(f"  [bold]{cmd:<9}[/] {what}")
                self.console.print("  anything else is a search in the current thread")
            case "/new":
                self.thread_id = None
                self._thread_saved = False
                self.console.print("the next request starts a new thread")
            case "/json":
                self.as_json = not self.as_json
                self.console.print(f"JSON output {'on' if self.as_json else 'off'}")
            case "/trace":
                self.trace = not self.trace
                self.console.print(f"how pages are made: {'shown' if self.trace else 'hidden'}")
            case "/threads":
                await self.show_threads()
            case "/history":
                await self.show_history()
            case "/image":
                await self.image_turn(text)
            case "/exact":
                words = text[len("/exact") :].strip() or self._typed
                if words:
                    await self.turn(words, exact=True)
                else:
                    self.console.print("usage: /exact WORDS (nothing was corrected yet)")
            case _:
                self.console.print(
                    f"[yellow]unknown command {escape(name)}[/]; try " + " ".join(COMMANDS)
                )
        return True

    async def image_turn(self, line: str) -> None:
        """`/image PATH [words]`: a turn that carries a picture."""
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            self.console.print("usage: /image PATH [words], e.g. /image ~/lamp.jpg in blue")
            return
        path = Path(parts[1]).expanduser()
        if not path.is_file():
            self.console.print(f"[red]error:[/] no picture at {escape(str(path))}")
            return
        await self.turn(parts[2] if len(parts) > 2 else "", image=str(path.resolve()))

    async def turn(self, text: str, image: str | None = None, *, exact: bool = False) -> None:
        """One request in the current thread, with live progress, then the page."""
        if self.thread_id is None:
            self.thread_id = self.engine.new_thread()
            self.console.print(f"new thread [bold]{self.thread_id}[/]")
        request = SearchRequest(
            text=text[:MAX_TEXT], thread_id=self.thread_id, k=self.k, image=image, exact=exact
        )
        try:
            events = self.engine.stream(request, new_thread=not self._thread_saved)
            show = self.trace and not self.as_json
            page = await follow_stream(events, self.console, show_steps=show)
        except Exception as exc:  # noqa: BLE001 - one failed turn must not end the conversation
            log.debug("turn failed", exc_info=True)
            self.console.print(f"[red]error:[/] {escape(_describe(exc))}")
            return
        self._thread_saved = True
        self._typed = page.spelling.original if page.spelling else None
        if self.as_json:
            print_page_json(page, self.console)
        else:
            print_page(page, self.console, exact_hint="/exact")
            if self.trace:
                print_trace(page, self.console, steps=False)

    async def show_history(self) -> None:
        """The turns of the current thread: what was asked and which modules came back."""
        if self.thread_id is None or not self._thread_saved:
            self.console.print("no turns yet in this thread")
            return
        turns = await self.engine.history(self.thread_id)
        self.console.print(f"thread [bold]{self.thread_id}[/] · {_plural(len(turns), 'turn')}")
        for n, turn in enumerate(turns, 1):
            self.console.print(f"{n:>3}. {escape(turn.text)}")
            for title in turn.page_summary:
                self.console.print(f"       → {escape(title)}", style="dim")

    async def show_threads(self, limit: int = 10) -> None:
        """Recent threads, newest first, with their turn count and first request."""
        ids = await self.engine.threads(limit=limit)
        if not ids:
            self.console.print("no threads yet: type a request to start one")
            return
        self.console.print("recent threads (newest first):")
        for thread_id in ids:
            try:
                turns = await self.engine.history(thread_id)
            except UnknownThread:
                continue
            mark = "*" if thread_id == self.thread_id else " "
            first = f'  "{escape(turns[0].text)}"' if turns else ""
            self.console.print(f" {mark} {thread_id}  {_plural(len(turns), 'turn'):<9}{first}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _describe(exc: Exception) -> str:
    """Our own exceptions carry an actionable message; others also name their type."""
    message = str(exc).strip().replace("\n", " ")
    if type(exc).__module__.startswith(("agent.", "tools.")) and message:
        return message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
