"""`tessera index`: build or update the index from the starter catalog or a file; check it
(`--check`: counts against SQLite and sampled self-lookups per vertical, exit 1 when damaged)
or repair it (`--repair`: re-embed missing vectors, rebuild a vertical whose vectors are damaged).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from agent.backends import discard_build, publish_index
from agent.deps import attach_title_encoder, open_index
from agent.settings import Settings
from tools.audit import audit_catalog
from tools.catalog import VERTICALS, CatalogItem

if TYPE_CHECKING:
    from tools.index import CatalogIndex


def add_index_parser(sub: Any) -> None:
    parser = sub.add_parser("index", help="build or update the search index")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--starter", action="store_true", help="the bundled starter catalog")
    source.add_argument("--source", type=Path, metavar="FILE", help="a .jsonl or .csv catalog")
    source.add_argument(
        "--check", action="store_true", help="check the vectors against the item store"
    )
    source.add_argument("--repair", action="store_true", help="re-embed missing or damaged vectors")
    parser.add_argument("--limit", type=int, default=None, help="rows per source (for trials)")
    parser.add_argument(
        "--prune", action="store_true", help="delete indexed rows absent from the source"
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="only report derived facts that contradict the items' own text, with evidence",
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


def run_check(settings: Settings, console: Console) -> int:
    """Print one row per vertical; 1 when any vertical's vectors are missing or damaged."""
    index = open_index(settings)
    try:
        checks = index.check()
    finally:
        index.close()
    table = Table(title=f"index at {settings.index_dir}")
    for col in ("vertical", "items", "vectors", "missing", "self-lookups", "state"):
        table.add_column(col)
    for c in checks:
        state = f"[red]{c.problem}[/]" if c.problem else "[green]ok[/]"
        lookups = f"{c.found_self}/{c.sampled}"
        table.add_row(c.vertical, str(c.items), str(c.vectors), str(c.missing), lookups, state)
    console.print(table)
    if any(c.problem for c in checks):
        console.print("vectors are damaged: run `tessera index --repair`")
        return 1
    return 0


def run_repair(settings: Settings, console: Console) -> int:
    """Re-embed what is missing; 0 when the index checks clean afterwards."""
    index = open_index(settings)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("re-embedding", total=None)
            reports = index.repair(progress=lambda n: progress.advance(task, n))
    finally:
        index.close()
    for r in reports:
        how = "rebuilt" if r.rebuilt else "patched"
        console.print(f"{r.vertical}: {how}, {r.embedded} embedded, {r.removed} stale removed")
    return run_check(settings, console)


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    console = Console()
    if args.check:
        return run_check(settings, console)
    if args.repair:
        return run_repair(settings, console)
    if not args.audit:
        from agent.planning.setup import prestart

        notice = prestart(settings)
        if notice:
            console.print(notice, soft_wrap=True, markup=False, highlight=False)
    items, table = _load(args, settings)
    console.print(table)
    audit = audit_catalog(items)
    if args.audit:
        for line in audit.lines():
            console.print(line, markup=False, highlight=False)
        console.print(audit.summary(), markup=False, highlight=False)
        return 0
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
            if settings.ranker == "ltr":
                _sync_title_vectors(settings, index, progress, console)
        counts = {v: index.count(v) for v in VERTICALS}
        images = _index_images(settings, items, args.source, console)
    except BaseException:
        index.close()
        discard_build(settings, index)
        raise
    index.close()
    published = publish_index(settings, index)
    if published is not None:
        images += f"; published snapshot {published}"
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"pruned {pruned}; index now holds "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
        + f" at {settings.snapshots or settings.index_dir}"
        + images
    )
    console.print(audit.summary() + " (--audit for the evidence)", markup=False, highlight=False)
    return 0


def _sync_title_vectors(
    settings: Settings, index: CatalogIndex, progress: Progress, console: Console
) -> None:
    """Embed the shopping titles the learned ranker compares in its second encoder."""
    problem = attach_title_encoder(index, settings)
    if problem:
        console.print(f"[yellow]warning:[/] {problem}")
        return
    task = progress.add_task("title vectors", total=None)
    index.sync_title_vectors(
        "shopping",
        progress=lambda n: progress.advance(task, n),
        total=lambda n: progress.update(task, total=n),
    )


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
