"""Render a page for the terminal with rich: modules as tables, then suggestions.

How the page was made (planner, steps, notes) prints only when asked (`--trace`):
the page itself speaks to the reader, not about the engine.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.cli.render_live import step_line
from agent.models import Module, Page, ResultItem


def _facts(item: ResultItem) -> str:
    parts: list[str] = []
    if item.price is not None:
        parts.append(f"${item.price:,.2f}")
    if item.availability and item.availability != "in_stock":
        parts.append(item.availability.replace("_", " "))
    if item.colors:
        parts.append("/".join(item.colors[:3]))
    if item.duration_s is not None:
        parts.append(f"{item.duration_s // 60} min")
    if item.year:
        parts.append(str(item.year))
    if item.genre:
        parts.append(", ".join(item.genre[:2]))
    if item.total_time_min is not None:
        parts.append(f"{item.total_time_min} min")
    if item.diet:
        parts.append(", ".join(item.diet))
    return " · ".join(parts)


def module_panel(module: Module) -> Panel:
    table = Table(show_header=False, box=None, pad_edge=False, expand=True)
    table.add_column("title", ratio=3)
    table.add_column("facts", ratio=2, style="cyan")
    for item in module.items:
        table.add_row(item.title, _facts(item))
    body = Group(Text(module.reason, style="dim italic"), table)
    return Panel(
        body,
        title=f"[bold]{module.title}[/]",
        subtitle=f"{module.vertical}",
        title_align="left",
        subtitle_align="right",
    )


def spelling_line(page: Page, how: str) -> Text | None:
    """'Showing results for lasagna. Search instead for lazagna: <how>' when the request
    was searched with its spelling corrected; `how` says what searches the words as typed."""
    if page.spelling is None:
        return None
    line = Text("Showing results for ")
    line.append(page.spelling.corrected, style="bold italic")
    line.append(". Search instead for ")
    line.append(page.spelling.original, style="italic")
    line.append(f": {how}")
    return line


def print_page(
    page: Page, console: Console, exact_hint: str | None = None, *, trace: bool = False
) -> None:
    """Modules in page order and related searches; first, when the spelling was corrected,
    the line that says so, ending with `exact_hint`; with `trace`, how it was made."""
    corrected = spelling_line(page, exact_hint or "send it again with exact")
    if corrected is not None:
        console.print(corrected)
    abstained = [n for n in page.trace.notes if n.startswith("no good matches")]
    for note in abstained:
        console.print(f"[bold yellow]{note[0].upper() + note[1:]}.[/]")
    if not page.modules and not abstained:
        console.print("[yellow]No results.[/] " + "; ".join(page.trace.errors))
    for module in page.modules:
        console.print(module_panel(module))
    if page.suggestions:
        console.print("[bold]Related searches:[/] " + "  ·  ".join(page.suggestions))
    for error in page.trace.errors:
        console.print(f"[red]![/] {error}")
    if trace:
        print_trace(page, console, steps=True)


def print_trace(page: Page, console: Console, *, steps: bool) -> None:
    """How this page was made: the steps (unless already shown live), the planner,
    and the notes that are not on the page itself."""
    console.print(Text("How this page was made", style="bold dim"))
    if steps:
        for step in page.trace.steps:
            console.print(step_line(step), no_wrap=True, overflow="ellipsis")
    total = sum(s.elapsed_ms for s in page.trace.steps)
    trace = page.trace
    line = f"planner: {trace.planner} · {total:.0f} ms in steps · llm calls {trace.llm_calls}"
    console.print(Text(line, style="dim"))
    for note in page.trace.notes:
        if not note.startswith("no good matches"):
            console.print(f"[yellow]·[/] {note}")
