"""Documents whose figures are rendered from saved reports, never typed.

A block in a Markdown document that `tessera eval report` printed starts with its
provenance line ("`tessera eval planning ...` · report `docs/reports/X/report.json`
· commit `abc1234`") and ends with the table's last row. `refresh` renders every such
block again from the report it names, so `tessera eval report --doc docs/EVALUATION.md`
keeps the document equal to its reports.
"""

from __future__ import annotations

import re
from pathlib import Path

from evals.report import REPO_ROOT, ReportError, load_report
from evals.tables import markdown_table

_PROVENANCE = re.compile(r"^`tessera eval [^`]*`[^`]* · report `(?P<source>[^`]+)`")


def _block_end(lines: list[str], start: int) -> int:
    """The index after the block's table (its last `|` row)."""
    n = start + 1
    while n < len(lines) and not lines[n].startswith("|"):
        if _PROVENANCE.match(lines[n]) or lines[n].startswith("#"):
            return start + 1
        n += 1
    while n < len(lines) and lines[n].startswith("|"):
        n += 1
    return n


def refresh(text: str, root: Path = REPO_ROOT) -> tuple[str, list[str]]:
    """`text` with each report block rendered anew; the sources it rendered, in order."""
    lines = text.split("\n")
    out: list[str] = []
    sources: list[str] = []
    n = 0
    while n < len(lines):
        found = _PROVENANCE.match(lines[n])
        if found is None:
            out.append(lines[n])
            n += 1
            continue
        source = found.group("source")
        report = load_report(str(root / source), root)
        out += markdown_table(report, source).split("\n")
        sources.append(source)
        n = _block_end(lines, n)
    return "\n".join(out), sources


def refresh_command(path: Path) -> int:
    """`tessera eval report --doc FILE`: rewrite FILE's tables from their reports."""
    from rich.console import Console

    err = Console(stderr=True)
    try:
        text, sources = refresh(path.read_text(encoding="utf-8"))
    except (OSError, ReportError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    path.write_text(text, encoding="utf-8")
    err.print(f"{path}: {len(sources)} table(s) rendered from their reports")
    return 0
