"""The eval gate: a small seeded sample of every suite, held to committed baselines.

    tessera eval gate                  # run every entry of GATE, exit 1 on a regression
    tessera eval gate --suite page     # only some suites
    tessera eval gate --update         # write the measured figures to evals/baselines.json

Every suite runs with the rule planner on data the gate builds itself (a slice of the
starter catalog, see `evals/gate_data.py`; Cranfield for retrieval), so its figures
depend on the code and the `TESSERA_` settings alone, never on the index a machine
holds (a broken weight in the settings fails the gate as a broken default would).
A check fails when a headline metric falls more than its suite's tolerance below
the baseline, when a suite yields fewer cases than its baseline, or when a suite or
configuration does not run. Figures above the baseline
pass and are listed: raising a baseline is a deliberate commit that says why.

Adding a suite to the gate is one `GateEntry` line (the suite itself is registered in
`evals/suites/__init__.py`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from agent.settings import Settings
from evals.report import Report, format_value, save_report
from evals.suites import DEFAULT_SEED, EvalContext, load_suite

BASELINES = Path(__file__).resolve().parent / "baselines.json"
DEFAULT_TOLERANCE = 0.02


@dataclass(frozen=True)
class GateEntry:
    """One suite in the gate: the configurations run, their headline metrics, the sample."""

    suite: str
    configs: tuple[str, ...]
    metrics: tuple[str, ...]
    limit: int | None = None
    dataset: str | None = None


GATE: tuple[GateEntry, ...] = (
    GateEntry("retrieval", ("bm25", "hybrid-rrf"), ("ndcg@10", "recall@100"), 100, "cranfield"),
    GateEntry("planning", ("rule",), ("routing_f1", "filter_exact", "filter_f1")),
    GateEntry("constraints", ("page", "bm25"), ("constraint_p@10", "ndcg@10")),
    GateEntry("page", ("rule",), ("module_f1", "module_ndcg", "top_module")),
    GateEntry("personalisation", ("baseline", "personalised"), ("recall@10", "ndcg@10")),
    GateEntry("images", ("lite0-crop",), ("label_top1", "recall@1", "recall@3")),
)
"""The gate's suites, in run order."""


class SuiteBaseline(BaseModel):
    """What one suite must keep: its case count and headline metrics per configuration."""

    cases: int = Field(ge=0, description="The suite must yield at least this many cases.")
    tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0, description="Allowed drop.")
    tolerances: dict[str, float] = Field(
        default_factory=dict, description="Allowed drop of a metric, where it is not `tolerance`."
    )
    metrics: dict[str, dict[str, float]] = Field(description="configuration -> metric -> value")

    def allowed(self, metric: str) -> float:
        return self.tolerances.get(metric, self.tolerance)


class Baselines(BaseModel):
    """The committed figures the gate holds every run to (`evals/baselines.json`)."""

    about: str = (
        "Figures of `tessera eval gate`. A metric may fall at most `tolerance` below its "
        "value and a suite may not yield fewer cases. Raise a figure only in a commit that "
        "says why (`tessera eval gate --update` writes this file)."
    )
    per_source: int = Field(description="Starter items per source the figures were made on.")
    seed: int = DEFAULT_SEED
    suites: dict[str, SuiteBaseline] = Field(default_factory=dict)


CASE_SLACK = 0.02


def case_slack(cases: int) -> int:
    """Cases a suite may lose to run-to-run noise: 2%, rounded down (none for small suites).

    Suites with fixed case files yield the same count every run; the personalisation
    suite derives its cases from the pages it is shown, and approximate dense search
    shifts those pages slightly between processes.
    """
    return int(cases * CASE_SLACK)


Status = Literal["ok", "above", "drop", "fewer cases", "missing", "error"]


class Check(BaseModel):
    """One comparison of a measured figure with its baseline."""

    suite: str
    config: str
    metric: str
    baseline: float | None
    measured: float | None
    tolerance: float
    status: Status
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "above")


class GateResult(BaseModel):
    """Every check of one gate run, and the reports it saved."""

    checks: list[Check] = Field(default_factory=list)
    reports: dict[str, str] = Field(default_factory=dict, description="suite -> report path")
    elapsed_s: dict[str, float] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(c.failed for c in self.checks)


def load_baselines(path: Path = BASELINES) -> Baselines | None:
    """The committed baselines, or None when the file does not exist yet."""
    if not path.is_file():
        return None
    return Baselines.model_validate_json(path.read_text(encoding="utf-8"))


def compare(
    entry: GateEntry, report: Report | None, baseline: SuiteBaseline | None, error: str = ""
) -> list[Check]:
    """The checks of one suite's run against its baseline."""

    def check(config: str, metric: str, *, measured: float | None, base: float | None,
              status: Status, note: str = "") -> Check:  # fmt: skip
        tolerance = baseline.allowed(metric) if baseline else DEFAULT_TOLERANCE
        tolerance = 0.0 if metric == "cases" else tolerance
        return Check(suite=entry.suite, config=config, metric=metric, baseline=base,
                     measured=measured, tolerance=tolerance, status=status, note=note)  # fmt: skip

    if report is None:
        return [check("-", "-", measured=None, base=None, status="error", note=error)]
    if baseline is None:
        note = "no baseline: run `tessera eval gate --update` and commit it"
        return [check("-", "-", measured=None, base=None, status="missing", note=note)]
    checks: list[Check] = []
    cases = max((len(c.cases) for c in report.configs), default=0)
    status: Status = "fewer cases" if cases < baseline.cases - case_slack(baseline.cases) else "ok"
    checks.append(check("-", "cases", measured=cases, base=baseline.cases, status=status))
    for config in entry.configs:
        result = next((c for c in report.configs if c.name == config), None)
        for metric in entry.metrics:
            base = baseline.metrics.get(config, {}).get(metric)
            if result is None or result.error is not None:
                why = (result.error if result else None) or "configuration not in the report"
                checks.append(check(config, metric, measured=None, base=base, status="error",
                                    note=why))  # fmt: skip
                continue
            value, tolerance = result.summary.get(metric), baseline.allowed(metric)
            if base is None or value is None:
                checks.append(check(config, metric, measured=value, base=base, status="missing"))
            elif value < base - tolerance - 1e-9:
                checks.append(check(config, metric, measured=value, base=base, status="drop"))
            else:
                above = value > base + tolerance + 1e-9
                checks.append(check(config, metric, measured=value, base=base,
                                    status="above" if above else "ok"))  # fmt: skip
    return checks


async def run_gate(
    settings: Settings,
    entries: Sequence[GateEntry],
    baselines: Baselines | None,
    *,
    per_source: int,
    runs_dir: Path,
    console: Console,
    progress: Progress | None = None,
) -> tuple[GateResult, dict[str, Report]]:
    """Run each entry on the gate's data, save its report and compare it with the baselines."""
    from evals.gate_data import gate_home

    home = gate_home(settings, per_source, progress)
    data = settings.model_copy(update={"home": home, "planner": "rule"})
    result, reports = GateResult(), {}
    for entry in entries:
        started = time.perf_counter()
        ctx = EvalContext(
            settings=data, dataset=entry.dataset, limit=entry.limit, seed=DEFAULT_SEED,
            console=console, progress=progress,
            argv=["tessera", "eval", "gate", "--suite", entry.suite],
        )  # fmt: skip
        report: Report | None = None
        error = ""
        try:
            report = await load_suite(entry.suite).run(ctx, list(entry.configs))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        result.elapsed_s[entry.suite] = round(time.perf_counter() - started, 1)
        if report is not None:
            reports[entry.suite] = report
            result.reports[entry.suite] = str(save_report(report, runs_dir))
        baseline = baselines.suites.get(entry.suite) if baselines else None
        result.checks += compare(entry, report, baseline, error)
    return result, reports


def measured_baselines(
    entries: Sequence[GateEntry],
    reports: dict[str, Report],
    previous: Baselines | None,
    per_source: int,
) -> Baselines:
    """Baselines holding the figures of `reports`, keeping each suite's stated tolerance."""
    suites = dict(previous.suites) if previous else {}
    for entry in entries:
        report = reports.get(entry.suite)
        if report is None:
            continue
        old = suites.get(entry.suite)
        metrics = {
            c.name: {m: round(c.summary[m], 4) for m in entry.metrics if m in c.summary}
            for c in report.configs
            if c.name in entry.configs and c.error is None
        }
        suites[entry.suite] = SuiteBaseline(
            cases=max((len(c.cases) for c in report.configs), default=0),
            tolerance=old.tolerance if old else DEFAULT_TOLERANCE,
            tolerances=old.tolerances if old else {},
            metrics=metrics,
        )
    order = [e.suite for e in GATE if e.suite in suites] + [
        s for s in suites if s not in {e.suite for e in GATE}
    ]
    return Baselines(per_source=per_source, suites={s: suites[s] for s in order})


def render_checks(result: GateResult, console: Console) -> None:
    """One row per check, then why any check failed, then where the reports are."""
    table = Table(title="eval gate", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("suite", "config", "metric", "baseline", "measured", "tolerance", "status"):
        table.add_column(name, justify="right" if name in ("baseline", "measured") else "left")
    for c in result.checks:
        colour = "red" if c.failed else ("green" if c.status == "above" else "")
        status = f"[{colour}]{c.status}[/{colour}]" if colour else c.status
        table.add_row(
            c.suite, c.config, c.metric, format_value(c.metric, c.baseline),
            format_value(c.metric, c.measured), f"{c.tolerance:g}", status,
        )  # fmt: skip
    console.print(table)
    for c in result.checks:
        if c.note:
            console.print(f"{c.suite} {c.config}: {escape(c.note)}")
    for suite, path in result.reports.items():
        console.print(f"{suite}: {path} ({result.elapsed_s.get(suite, 0):.0f} s)")
    if any(c.status == "above" for c in result.checks):
        console.print("above the baseline: raise it with --update in a commit that says why")


def gate_command(
    settings: Settings,
    suites: Sequence[str],
    *,
    baselines_path: Path = BASELINES,
    update: bool = False,
    runs_dir: Path | None = None,
) -> int:
    """`tessera eval gate`: 0 when every check passes (or baselines were written), else 1."""
    import asyncio

    from evals.gate_data import STARTER_PER_SOURCE
    from evals.runner import make_progress
    from tools.starter import SourceUnavailable

    err = Console(stderr=True)
    console = Console() if Console().is_terminal else Console(width=110)
    unknown = [s for s in suites if s not in {e.suite for e in GATE}]
    if unknown:
        err.print(f"[red]error:[/] not in the gate: {unknown}; it runs {[e.suite for e in GATE]}")
        return 2
    entries = [e for e in GATE if not suites or e.suite in suites]
    baselines = load_baselines(baselines_path)
    per_source = baselines.per_source if baselines else STARTER_PER_SOURCE
    try:
        with make_progress(console=err) as progress:
            result, reports = asyncio.run(
                run_gate(settings, entries, baselines, per_source=per_source,
                         runs_dir=runs_dir or settings.runs_dir, console=err, progress=progress)
            )  # fmt: skip
    except SourceUnavailable as exc:
        err.print(f"[red]gate failed:[/] it cannot build its data: {exc}")
        return 1
    render_checks(result, console)
    if update:
        fresh = measured_baselines(entries, reports, baselines, per_source)
        baselines_path.write_text(fresh.model_dump_json(indent=2) + "\n", encoding="utf-8")
        console.print(f"baselines written to {baselines_path}: commit them with the reason")
        return 0 if len(reports) == len(entries) else 1
    failed = [c for c in result.checks if c.failed]
    console.print("gate passed" if not failed else f"[red]gate failed:[/] {len(failed)} check(s)")
    return 0 if not failed else 1
