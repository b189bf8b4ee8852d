"""Live rendering of a streamed request: a spinner that follows the graph's steps.

`follow_stream` consumes `Engine.stream` events, prints one dim line per finished
step and keeps a status line saying what the graph is doing now; the caller then
prints the page with `print_page` (or as JSON with `print_page_json`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from rich.console import Console
from rich.text import Text

from agent.engine import StreamEvent
from agent.models import Page
from agent.trace import TraceStep

_NEXT = {
    "understood": "planning",
    "planned": "searching",
    "assessed": "composing modules",
    "composed": "ranking",
    "ranked": "opening the request into aspects",
    "explored": "finding related searches",
    "suggested": "assembling the page",
}


class NoPage(RuntimeError):
    """The stream ended without a page; the request produced nothing to show."""


def step_line(step: TraceStep) -> Text:
    """One finished step as a dim line: mark, name, detail and time (print it unwrapped)."""
    mark = Text("  ✓ ", style="green") if step.ok else Text("  ✗ ", style="red")
    line = mark + Text(step.name, style="bold dim")
    if step.detail:
        line += Text(f"  {step.detail}", style="dim")
    line += Text(f"  {step.elapsed_ms:.0f} ms", style="dim cyan")
    return line


def _status_after(step: TraceStep) -> str:
    if step.name.startswith("tool:"):
        return "searching (waiting for the other tools)"
    return _NEXT.get(step.name, "working")


async def follow_stream(
    events: AsyncIterator[StreamEvent], console: Console, *, show_steps: bool = True
) -> Page:
    """Show progress while `events` run; return the page they end with.

    The spinner is transient: on a terminal it disappears once the page is ready,
    and on a plain file it never prints. Raises `NoPage` if no page arrives.
    """
    page: Page | None = None
    arrived = 0
    try:
        with console.status("understanding the request", spinner="dots") as status:
            async for event in events:
                if event.kind == "step" and event.step is not None:
                    if show_steps:
                        console.print(step_line(event.step), no_wrap=True, overflow="ellipsis")
                    status.update(f"{_status_after(event.step)} …")
                elif event.kind == "module" and event.module is not None:
                    if event.module.aspect:
                        arrived += 1
                        status.update(f"{arrived} aspect module(s) so far: {event.module.title} …")
                elif event.kind == "page" and event.page is not None:
                    page = event.page
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
    if page is None:
        raise NoPage("the search finished without a page; try rephrasing the request")
    return page


def print_page_json(page: Page, console: Console) -> None:
    """The page in the public JSON shape, highlighted on a terminal."""
    console.print_json(page.model_dump_json(), ensure_ascii=False)
