"""Reports as the README shows them: a Markdown table with the command and report that made it.

    tessera eval report RUN

prints, for a saved run, one line naming the command, the report and the commit, a
line of the run's scalar parameters, then a table with a row per quality metric and
a column per configuration. Parameters that hold one value per configuration (such
as `on_topic@10` or a p-value against the baseline) become rows of their own, and
`cases` ends the table, so a README table is pasted from this output, never typed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import JsonValue

from evals.report import REPO_ROOT, Report, format_value, per_config_params

HIDDEN_PARAMS = frozenset({"path", "timeout_s", "limit"})
"""Parameters left out of the provenance line (machine paths, unset limits)."""


def provenance(report: Report, source: str) -> str:
    """`command` · report `source` · commit `abc1234` (dirty)."""
    command = " ".join(report.environment.argv) or f"tessera eval {report.suite}"
    parts = [f"`{command}`", f"report `{source}`"]
    commit = report.environment.git_commit
    if commit:
        dirty = " (uncommitted changes)" if report.environment.git_dirty else ""
        parts.append(f"commit `{commit[:7]}`{dirty}")
    return " · ".join(parts)


def scalar_params(report: Report) -> str:
    """The run's scalar parameters, `name value` separated by commas."""
    shown = []
    for name, value in report.params.items():
        if name in HIDDEN_PARAMS or value is None or isinstance(value, dict | list):
            continue
        shown.append(f"{name} {value}")
    return ", ".join(shown)


def markdown_table(report: Report, source: str) -> str:
    """The report as a README table, preceded by where it came from."""
    configs = [c for c in report.configs if c.error is None]
    refs = report.references
    names = [c.name for c in configs] + [f"reference: {r.label}" for r in refs]
    header = f"| {report.suite} | " + " | ".join(names) + " |"
    lines = [provenance(report, source), ""]
    params = scalar_params(report)
    if report.dataset:
        params = f"dataset {report.dataset}" + (f", {params}" if params else "")
    if params:
        lines += [params, ""]
    lines += [header, "|---|" + "---:|" * len(names)]
    blank = ["-"] * len(refs)
    for metric in report.metrics:
        cells = [format_value(metric, c.summary.get(metric)) for c in configs]
        cells += [format_value(metric, r.metrics.get(metric)) for r in refs]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    for name, values in per_config_params(report).items():
        cells = [_cell(name, values.get(c.name)) for c in configs] + blank
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    cases = [format_value("cases", c.summary.get("cases")) for c in configs] + blank
    lines.append("| cases | " + " | ".join(cases) + " |")
    failed = [f"{c.name}: {c.error}" for c in report.configs if c.error is not None]
    if failed:
        lines += ["", "did not run: " + "; ".join(failed)]
    return "\n".join(lines)


def _cell(name: str, value: JsonValue) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_value(name, float(value))
    return "-" if value is None else str(value)


def report_command(run: str, runs_dir: Path) -> int:
    """`tessera eval report RUN`: print the saved run as a README table."""
    from rich.console import Console

    from evals.report import ReportError, load_report

    try:
        report = load_report(run, runs_dir)
    except ReportError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        return 2
    print(markdown_table(report, _source(run, runs_dir)))
    return 0


def _source(run: str, runs_dir: Path) -> str:
    """The report's path as a README names it: relative to the repository when inside it."""
    given = Path(run).expanduser()
    for path in (given, given / "report.json", runs_dir / run / "report.json"):
        if path.is_file():
            resolved = path.resolve()
            try:
                return str(resolved.relative_to(REPO_ROOT))
            except ValueError:
                return f"{resolved.parent.name}/{resolved.name}"
    return run
