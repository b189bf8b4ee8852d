"""Compare two runs: per-metric deltas with a paired significance test, per-case wins/losses.

Run B is read as the candidate and run A as the baseline: a positive delta means B is
higher. Cases are paired by id; p-values come from a paired sign-flip permutation test
on the cases both runs share, with a fixed seed.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.metrics import paired_permutation_p
from evals.report import OPERATIONAL, ConfigResult, Report, ReportError, format_value

EPSILON = 1e-9


class MetricDelta(BaseModel):
    """One metric's value in each run and the change."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    p_value: float | None = Field(default=None, description="Paired test over shared cases.")


class CaseDelta(BaseModel):
    """One case's primary metric in each run."""

    id: str
    query: str
    a: float
    b: float
    delta: float


class Comparison(BaseModel):
    """Configuration `config_b` of run B against `config_a` of run A."""

    config_a: str
    config_b: str
    primary_metric: str
    metrics: list[MetricDelta]
    wins: int = Field(description="Cases where B scores higher on the primary metric.")
    losses: int
    ties: int
    only_a: int = 0
    only_b: int = 0
    gains: list[CaseDelta] = Field(default_factory=list, description="Largest wins.")
    drops: list[CaseDelta] = Field(default_factory=list, description="Largest losses.")


def pair_configs(
    a: Report, b: Report, config_a: str | None = None, config_b: str | None = None
) -> list[tuple[str, str]]:
    """Which configurations to compare: the named ones, the shared names, or the only ones."""
    if config_a or config_b:
        name_a = config_a or config_b or ""
        name_b = config_b or config_a or ""
        a.config(name_a)
        b.config(name_b)
        return [(name_a, name_b)]
    shared = [name for name in a.config_names() if name in b.config_names()]
    if shared:
        return [(name, name) for name in shared]
    if len(a.configs) == 1 and len(b.configs) == 1:
        return [(a.configs[0].name, b.configs[0].name)]
    raise ReportError(
        f"The runs share no configuration (A: {a.config_names()}, B: {b.config_names()}): "
        "name the two to compare with --config-a and --config-b."
    )


def compare_configs(
    a: ConfigResult,
    b: ConfigResult,
    metrics: list[str],
    primary: str,
    *,
    top: int = 5,
    seed: int = 0,
) -> Comparison:
    """Deltas of every summary metric and the per-case picture on `primary`."""
    cases_a = {c.id: c for c in a.cases}
    cases_b = {c.id: c for c in b.cases}
    shared = [cid for cid in cases_a if cid in cases_b]
    deltas: list[MetricDelta] = []
    for metric in [*metrics, *OPERATIONAL]:
        va, vb = a.summary.get(metric), b.summary.get(metric)
        p_value = None
        if metric in metrics and shared:
            xs = [cases_a[c].metrics.get(metric, 0.0) for c in shared]
            ys = [cases_b[c].metrics.get(metric, 0.0) for c in shared]
            p_value = paired_permutation_p(xs, ys, seed=seed)
        delta = vb - va if va is not None and vb is not None else None
        deltas.append(MetricDelta(metric=metric, a=va, b=vb, delta=delta, p_value=p_value))
    per_case = [
        CaseDelta(
            id=cid,
            query=cases_b[cid].query or cases_a[cid].query,
            a=(va := cases_a[cid].metrics.get(primary, 0.0)),
            b=(vb := cases_b[cid].metrics.get(primary, 0.0)),
            delta=vb - va,
        )
        for cid in shared
    ]
    ranked = sorted(per_case, key=lambda d: d.delta)
    return Comparison(
        config_a=a.name,
        config_b=b.name,
        primary_metric=primary,
        metrics=deltas,
        wins=sum(1 for d in per_case if d.delta > EPSILON),
        losses=sum(1 for d in per_case if d.delta < -EPSILON),
        ties=sum(1 for d in per_case if abs(d.delta) <= EPSILON),
        only_a=len(cases_a) - len(shared),
        only_b=len(cases_b) - len(shared),
        gains=[d for d in reversed(ranked) if d.delta > EPSILON][:top],
        drops=[d for d in ranked if d.delta < -EPSILON][:top],
    )


def compare_reports(
    a: Report, b: Report, config_a: str | None = None, config_b: str | None = None, *, top: int = 5
) -> list[Comparison]:
    """Compare two reports of the same suite, configuration by configuration."""
    if a.suite != b.suite:
        raise ReportError(
            f"Run A is a '{a.suite}' run and run B a '{b.suite}' run: not comparable."
        )
    metrics = [m for m in b.metrics if m in a.metrics]
    return [
        compare_configs(a.config(na), b.config(nb), metrics, b.primary_metric, top=top)
        for na, nb in pair_configs(a, b, config_a, config_b)
    ]


def render_comparison(comp: Comparison, console: Console) -> None:
    """Print the metric deltas, the win/loss counts and the cases that moved most."""
    title = escape(f"A: {comp.config_a}  vs  B: {comp.config_b}")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("metric", "A", "B", "B - A", "p"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for d in comp.metrics:
        delta = "-" if d.delta is None else format_value(d.metric, d.delta)
        if d.delta is not None and not delta.startswith("-"):
            delta = "+" + delta
        colour = (
            "" if d.delta is None or abs(d.delta) <= EPSILON else "green" if d.delta > 0 else "red"
        )
        p_value = "-" if d.p_value is None else f"{d.p_value:.3f}"
        table.add_row(
            d.metric,
            format_value(d.metric, d.a),
            format_value(d.metric, d.b),
            f"[{colour}]{delta}[/]" if colour else delta,
            p_value,
        )
    console.print(table)
    extra = (
        f" ({comp.only_a} only in A, {comp.only_b} only in B)" if comp.only_a or comp.only_b else ""
    )
    console.print(
        f"{comp.primary_metric} per case: B wins {comp.wins}, loses {comp.losses}, "
        f"ties {comp.ties}{extra}"
    )
    for heading, rows in (("largest gains", comp.gains), ("largest drops", comp.drops)):
        if rows:
            console.print(f"[bold]{heading}[/bold]")
            for row in rows:
                line = f"  {row.id}  {row.a:.3f} -> {row.b:.3f}  {row.query}"
                console.print(escape(line), overflow="ellipsis", no_wrap=True)
