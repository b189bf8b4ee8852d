"""`tessera eval`: run an eval suite over configurations, list suites, compare two runs.

    tessera eval retrieval --config bm25 --config hybrid-rrf --dataset vaswani_npl
    tessera eval planning --config rule --limit 20
    tessera eval list
    tessera eval compare RUN_A RUN_B
    tessera eval gate            # every suite's sample against evals/baselines.json
    tessera eval report RUN      # a saved run as a README table

Each run prints a table (a column per configuration) and saves its JSON report under
`TESSERA_HOME/runs/<timestamp>-<suite>/` (or `--out DIR`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings
from evals.suites import SUITE_MODULES

SUITES = tuple(SUITE_MODULES)


def register(subparsers: Any) -> None:
    """Add `eval` and its subcommands to the `tessera` parser."""
    parser = subparsers.add_parser("eval", help="offline evals: suites, reports, comparisons")
    sub = parser.add_subparsers(dest="eval_command", required=True, metavar="SUITE")
    for name in SUITES:
        suite = sub.add_parser(name, help=f"run the {name} suite (see `tessera eval list`)")
        suite.add_argument(
            "--config", action="append", default=[], metavar="NAME",
            help="a configuration to run; repeat for several (default: the suite's set)",
        )  # fmt: skip
        suite.add_argument(
            "--dataset", default=None, metavar="PATH",
            help="retrieval: a BEIR folder or a name under $TESSERA_DATASETS (default "
            "cranfield); other suites: a cases .jsonl (default: the suite's file in evals/data)",
        )  # fmt: skip
        suite.add_argument(
            "--split", default=None,
            help="retrieval: BEIR qrels split (default: detected); suites whose cases come in "
            "halves: dev, heldout or all (default dev)",
        )  # fmt: skip
        suite.add_argument("--limit", type=int, default=None, metavar="N",
                           help="a seeded sample of N cases")  # fmt: skip
        suite.add_argument("--depth", type=int, default=100, metavar="K",
                           help="retrieval: results per query (default 100)")  # fmt: skip
        suite.add_argument("--seed", type=int, default=None, help="seed for sampling (default 13)")
        suite.add_argument("--timeout", type=float, default=None, metavar="S",
                           help="seconds allowed per case before it counts as failed")  # fmt: skip
        suite.add_argument("--out", type=Path, default=None, metavar="DIR",
                           help="where to save the run (default TESSERA_HOME/runs)")  # fmt: skip
        suite.set_defaults(handler=run_suite, suite=name)
    listing = sub.add_parser("list", help="list suites and their configurations")
    listing.set_defaults(handler=run_list)
    compare = sub.add_parser("compare", help="compare two saved runs (B against baseline A)")
    compare.add_argument(
        "run_a", metavar="RUN_A", help="baseline: run folder, its name or report.json"
    )
    compare.add_argument(
        "run_b", metavar="RUN_B", help="candidate: run folder, its name or report.json"
    )
    compare.add_argument("--config-a", default=None, help="configuration of run A to compare")
    compare.add_argument("--config-b", default=None, help="configuration of run B to compare")
    compare.add_argument("--top", type=int, default=5, help="cases listed per direction")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.add_argument("--out", type=Path, default=None, metavar="DIR",
                         help="where runs are saved (default TESSERA_HOME/runs)")  # fmt: skip
    compare.set_defaults(handler=run_compare)
    gate = sub.add_parser("gate", help="run every suite's sample against evals/baselines.json")
    gate.add_argument("--suite", action="append", default=[], metavar="NAME",
                      help="only this suite; repeat for several (default: all)")  # fmt: skip
    gate.add_argument("--baselines", type=Path, default=None, metavar="PATH",
                      help="baselines file (default evals/baselines.json)")  # fmt: skip
    gate.add_argument("--update", action="store_true",
                      help="write the measured figures as the new baselines")  # fmt: skip
    gate.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="where to save the runs (default TESSERA_HOME/runs)")  # fmt: skip
    gate.set_defaults(handler=run_gate)
    report = sub.add_parser("report", help="print a saved run as a README table")
    report.add_argument("run", metavar="RUN", help="run folder, its name or report.json")
    report.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="where runs are saved (default TESSERA_HOME/runs)")  # fmt: skip
    report.set_defaults(handler=run_report)


def run_suite(args: argparse.Namespace, settings: Settings) -> int:
    """Run one suite, print its table, save its report; exit 1 if no configuration ran."""
    from evals.beir import DatasetError
    from evals.report import render_report, save_report
    from evals.runner import make_progress
    from evals.suites import DEFAULT_SEED, EvalConfigError, EvalContext, load_suite

    err = Console(stderr=True)
    if args.limit is not None and args.limit < 1:
        err.print("[red]error:[/] --limit must be at least 1")
        return 2
    if args.depth < 1:
        err.print("[red]error:[/] --depth must be at least 1")
        return 2
    console = Console()
    try:
        spec = load_suite(args.suite)
        with make_progress(console=err) as progress:
            ctx = EvalContext(
                settings=settings, dataset=args.dataset, split=args.split, limit=args.limit,
                seed=DEFAULT_SEED if args.seed is None else args.seed, depth=args.depth,
                timeout_s=args.timeout, console=err, progress=progress,
                argv=["tessera", "eval", args.suite, *_flags(args)],
            )  # fmt: skip
            report = asyncio.run(spec.run(ctx, args.config))
    except (DatasetError, EvalConfigError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    render_report(report, console)
    path = save_report(report, args.out or settings.runs_dir)
    console.print(f"report: {path}")
    return 0 if any(c.error is None for c in report.configs) else 1


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every suite with its configurations."""
    from evals.suites import load_suite

    console = Console()
    for name in SUITES:
        spec = load_suite(name)
        console.print(f"[bold]{name}[/bold]: {spec.summary}")
        defaults = set(spec.default_configs)
        names = [f"{c}{' (default)' if c in defaults else ''}" for c in spec.configs()]
        console.print("  configs: " + ", ".join(names))
    return 0


def run_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Print per-metric deltas and per-case wins/losses of run B against run A."""
    from evals.compare import compare_reports, render_comparison
    from evals.report import ReportError, load_report

    err = Console(stderr=True)
    runs_dir = args.out or settings.runs_dir
    try:
        a = load_report(args.run_a, runs_dir)
        b = load_report(args.run_b, runs_dir)
        comparisons = compare_reports(a, b, args.config_a, args.config_b, top=max(0, args.top))
    except ReportError as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in comparisons], indent=2))
        return 0
    console = Console()
    if a.dataset != b.dataset:
        err.print(f"[yellow]note:[/] the runs used different data ({a.dataset} vs {b.dataset})")
    for comparison in comparisons:
        render_comparison(comparison, console)
    return 0


def run_gate(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 1 when a headline metric or a case count falls below its baseline."""
    from evals.gate import BASELINES, gate_command

    return gate_command(
        settings, args.suite, baselines_path=args.baselines or BASELINES,
        update=args.update, runs_dir=args.out,
    )  # fmt: skip


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    """Print a saved run in the README's table format."""
    from evals.tables import report_command

    return report_command(args.run, args.out or settings.runs_dir)


def _flags(args: argparse.Namespace) -> list[str]:
    flags = [f"--config={c}" for c in args.config]
    for name in ("dataset", "split", "limit", "depth", "seed", "timeout"):
        value = getattr(args, name)
        if value is not None:
            flags.append(f"--{name}={value}")
    return flags
