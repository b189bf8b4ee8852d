"""Reports: what one eval run measured, saved as JSON and printed as a table.

A report records everything needed to trust or reproduce a figure: the suite, dataset
and split, parameters, seeds, settings (secrets left out), package versions, the git
commit, and every case's result per configuration. Runs are saved under
`settings.runs_dir/<timestamp>-<suite>/report.json`.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, Field, JsonValue, ValidationError
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.metrics import mean, percentile

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "tessera", "chromadb", "langgraph", "langchain-core", "openai", "pydantic", "numpy",
    "onnxruntime", "tokenizers", "xllamacpp", "ir-measures", "pytrec-eval-terrier", "rich",
)  # fmt: skip
OPERATIONAL = ("latency_p50_ms", "latency_p95_ms", "llm_calls/q", "llm_tokens/q", "llm_ms/q",
               "errors", "cases")  # fmt: skip
"""Rows every table ends with: speed, LLM use per query, failures."""
SECRET_SETTINGS = frozenset({"llm_api_key", "api_key"})


class ReportError(ValueError):
    """A report cannot be found or read; the message says where it looked."""


class CaseResult(BaseModel):
    """One case (query) under one configuration."""

    id: str
    query: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    latency_ms: float = 0.0
    llm_calls: int = 0
    llm_tokens: int = 0
    llm_ms: float = 0.0
    error: str | None = Field(default=None, description="Why the case failed; it then scores 0.")
    detail: dict[str, JsonValue] = Field(default_factory=dict)


class ConfigResult(BaseModel):
    """All cases of one configuration, with their summary."""

    name: str
    description: str = ""
    summary: dict[str, float] = Field(default_factory=dict)
    cases: list[CaseResult] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the configuration did not run.")
    elapsed_s: float = 0.0


class Reference(BaseModel):
    """A published or reference figure to show beside ours."""

    label: str = Field(description="Where it comes from, e.g. 'FTS5 BM25 (datasets README)'.")
    config: str = Field(description="Our configuration it should be compared with.")
    metrics: dict[str, float]


class Environment(BaseModel):
    """Where and with what a run was made."""

    created: datetime
    python: str
    platform: str
    packages: dict[str, str]
    git_commit: str | None = None
    git_dirty: bool | None = None
    seed: int
    argv: list[str] = Field(default_factory=list)


class Report(BaseModel):
    """One run of one suite over one or more configurations."""

    suite: str
    dataset: str | None = None
    primary_metric: str
    metrics: list[str] = Field(description="Quality metrics, in table order.")
    params: dict[str, JsonValue] = Field(default_factory=dict)
    settings: dict[str, JsonValue] = Field(default_factory=dict)
    environment: Environment
    configs: list[ConfigResult] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)

    def config(self, name: str) -> ConfigResult:
        for result in self.configs:
            if result.name == name:
                return result
        raise ReportError(f"No configuration '{name}' in this run; it has {self.config_names()}.")

    def config_names(self) -> list[str]:
        return [c.name for c in self.configs]


def summarize(cases: list[CaseResult], metrics: list[str]) -> dict[str, float]:
    """Mean of each metric over all cases (failed ones count 0), latency and LLM use."""
    latencies = [c.latency_ms for c in cases]
    summary = {m: mean(c.metrics.get(m, 0.0) for c in cases) for m in metrics}
    summary |= {
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "llm_calls/q": mean(c.llm_calls for c in cases),
        "llm_tokens/q": mean(c.llm_tokens for c in cases),
        "llm_ms/q": mean(c.llm_ms for c in cases),
        "errors": float(sum(1 for c in cases if c.error)),
        "cases": float(len(cases)),
    }
    return summary


def collect_environment(seed: int, argv: list[str] | None = None) -> Environment:
    """Versions, platform and git state of this process, for the report."""
    packages: dict[str, str] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain") if commit else None
    return Environment(
        created=datetime.now(UTC),
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=packages,
        git_commit=commit,
        git_dirty=bool(status) if commit else None,
        seed=seed,
        argv=list(argv if argv is not None else sys.argv),
    )


def public_settings(settings: BaseModel) -> dict[str, JsonValue]:
    """Settings as JSON with secrets left out."""
    data: dict[str, JsonValue] = json.loads(settings.model_dump_json(exclude=set(SECRET_SETTINGS)))
    return data


def save_report(report: Report, runs_dir: Path) -> Path:
    """Write `runs_dir/<timestamp>-<suite>/report.json` (never overwriting) and return its path."""
    stamp = report.environment.created.strftime("%Y%m%d-%H%M%S")
    base = runs_dir / f"{stamp}-{report.suite}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True)
    path = folder / "report.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def load_report(spec: str, runs_dir: Path) -> Report:
    """A report from a `report.json` path, a run folder, or a run folder's name in `runs_dir`."""
    given = Path(spec).expanduser()
    for candidate in (given, given / "report.json", runs_dir / spec / "report.json"):
        if candidate.is_file():
            try:
                return Report.model_validate_json(candidate.read_text(encoding="utf-8"))
            except ValidationError as exc:
                raise ReportError(f"{candidate} is not a Tessera eval report: {exc}") from exc
    raise ReportError(
        f"No report at '{spec}' (nor under {runs_dir}): pass a run folder or its name."
    )


def render_report(report: Report, console: Console) -> None:
    """Print one table: a row per metric, a column per configuration, then references."""
    title = " / ".join(p for p in (report.suite, report.dataset, _param(report, "split")) if p)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("metric", min_width=14)
    for result in report.configs:
        table.add_column(escape(result.name), justify="right", min_width=max(6, len(result.name)))
    for n, _ref in enumerate(report.references, start=1):
        table.add_column(f"ref{n}", justify="right", style="dim", min_width=6)
    extra = per_config_params(report)
    for metric in [*report.metrics, *extra, *OPERATIONAL]:
        if metric in extra:
            cells = [_param_cell(metric, extra[metric].get(r.name)) for r in report.configs]
            table.add_row(metric, *cells, *["-" for _ in report.references])
            continue
        values = [r.summary.get(metric) for r in report.configs]
        best = max((v for v in values if v is not None), default=None)
        cells = []
        for value in values:
            text = format_value(metric, value)
            bold = metric in report.metrics and value is not None and value == best
            cells.append(f"[bold]{text}[/bold]" if bold and len(values) > 1 else text)
        refs = [format_value(metric, ref.metrics.get(metric)) for ref in report.references]
        table.add_row(metric, *cells, *refs)
    console.print(table)
    for n, ref in enumerate(report.references, start=1):
        console.print(f"ref{n}: {escape(ref.label)}, to compare with {escape(ref.config)}")
    for result in report.configs:
        if result.error:
            console.print(f"[red]{result.name} did not run:[/red] {result.error}")


def per_config_params(report: Report) -> dict[str, dict[str, JsonValue]]:
    """Parameters holding one value per configuration of the run (e.g. `on_topic@10`)."""
    names = set(report.config_names())
    return {
        name: value
        for name, value in report.params.items()
        if isinstance(value, dict) and value and set(value) <= names
    }


def _param_cell(name: str, value: JsonValue) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_value(name, float(value))
    return "-" if value is None else escape(str(value))


def format_value(metric: str, value: float | None) -> str:
    """A metric value as tables show it: 4 decimals, 1 for times and per-query use."""
    if value is None:
        return "-"
    if metric in ("errors", "cases"):
        return str(int(value))
    if metric.endswith("_ms") or metric.endswith("/q"):
        return f"{value:.1f}"
    return f"{value:.4f}"


def _param(report: Report, name: str) -> str | None:
    value = report.params.get(name)
    return str(value) if value is not None else None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
