"""`tessera index`: build or update the index from the starter catalog or a file."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from agent.deps import open_index
from agent.settings import Settings
from tools.catalog import VERTICALS, CatalogItem


def add_index_parser(sub: Any) -> None:
    parser = sub.add_parser("index", help="build or update the search index")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--starter", action="store_true", help="the bundled starter catalog")
    source.add_argument("--source", type=Path, metavar="FILE", help="a .jsonl or .csv catalog")
    parser.add_argument("--limit", type=int, default=None, help="rows per source (for trials)")
    parser.add_argument(
        "--prune", action="store_true", help="delete indexed rows absent from the source"
    )
    parser.set_defaults(handler=run_index)


def _load(args: argparse.Namespace, settings: Settings) -> tuple[list[CatalogItem], Table]:
    table = Table(title="catalog rows")
    for col in ("source", "rows read", "items", "skipped", "reasons"):
        table.add_column(col)
    if args.starter:
        from tools.starter import build_starter

        starter = build_starter(limit_per_source=args.limit)
        items = list(starter.items)
        for src in starter.sources:
            shown = "; ".join(f"{s.reason} (x{s.count})" for s in src.skipped[:2])
            table.add_row(
                src.name, str(src.rows_read), str(src.items), str(src.skipped_total), shown
            )
        return items, table
    from tools.ingest import read_catalog

    result = read_catalog(args.source)
    items = list(result.items)[: args.limit] if args.limit else list(result.items)
    shown = "; ".join(f"line {s.line}: {s.reason}" for s in result.skipped[:3])
    table.add_row(
        str(args.source),
        str(result.rows_read),
        str(len(items)),
        str(len(result.skipped)),
        shown,
    )
    return items, table


def _track(items: Iterable[CatalogItem], progress: Progress, task: Any) -> Iterator[CatalogItem]:
    for item in items:
        yield item
        progress.advance(task)


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    items, table = _load(args, settings)
    console.print(table)
    index = open_index(settings, create=True)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("indexing", total=len(items))
            report = index.upsert(_track(items, progress, task))
        pruned = 0
        if args.prune:
            for vertical in VERTICALS:
                keep = {i.id for i in items if i.vertical == vertical}
                if keep:
                    pruned += index.prune(vertical, keep)
        counts = {v: index.count(v) for v in VERTICALS}
        images = _index_images(settings, items, args.source, console)
    finally:
        index.close()
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"pruned {pruned}; index now holds "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
        + f" at {settings.index_dir}"
        + images
    )
    return 0


def _index_images(
    settings: Settings, items: list[CatalogItem], source: Path | None, console: Console
) -> str:
    """Embed local item pictures for look-alike search; '' when there are none."""
    local = [i for i in items if i.image_url and not i.image_url.startswith(("http:", "https:"))]
    if not local:
        return ""
    from agent.vision import open_vision

    vision, note = open_vision(settings)
    if vision is None:
        return f"; {len(local)} pictures not indexed ({note})"
    try:
        base = source.parent if source is not None else None
        report = vision.images.add(local, base_dir=base)
    finally:
        vision.close()
    for vertical, item_id, reason in report.skipped[:5]:
        console.print(f"[yellow]picture skipped[/] {vertical}/{item_id}: {reason}")
    return f"; pictures: {report.indexed} indexed, {len(report.skipped)} skipped"
