"""`tessera rank train`: fit the learned ranker on BEIR judgments and save it.

The model lands in `TESSERA_HOME/ranker` (or `--out`), where `TESSERA_RANKER=ltr`
finds it. The dataset is indexed once into the eval index, like the retrieval suite.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings


def register(subparsers: Any) -> None:
    """Add `rank` and its subcommands to the `tessera` parser."""
    parser = subparsers.add_parser("rank", help="the learned ranker: train it on judgments")
    sub = parser.add_subparsers(dest="rank_command", required=True, metavar="COMMAND")
    train = sub.add_parser("train", help="train the ranker on a BEIR dataset's judgments")
    train.add_argument("--dataset", required=True, metavar="DIR",
                       help="a BEIR folder or a name under $TESSERA_DATASETS")  # fmt: skip
    train.add_argument("--split", default=None, help="qrels split (default: detected)")
    train.add_argument("--depth", type=int, default=100, metavar="K",
                       help="candidates per retriever (default 100)")  # fmt: skip
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    train.add_argument("--rounds", type=int, default=150, help="boosting rounds (default 150)")
    train.add_argument("--limit", type=int, default=None, metavar="N",
                       help="train on a seeded sample of N queries")  # fmt: skip
    train.add_argument("--calibration", choices=("isotonic", "platt"), default="isotonic")
    train.add_argument("--spelling", action="store_true",
                       help="correct query spelling against the catalog first")  # fmt: skip
    train.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="where to save (default TESSERA_HOME/ranker)")  # fmt: skip
    train.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train, save, and print the held-out figures."""
    from evals.ranker_training import train_ranker
    from evals.runner import make_progress
    from evals.suites import DEFAULT_SEED, EvalContext

    err = Console(stderr=True)
    if args.depth < 1 or args.folds < 2 or args.rounds < 1:
        err.print("[red]error:[/] --depth and --rounds must be at least 1, --folds at least 2")
        return 2
    with make_progress(console=err) as progress:
        ctx = EvalContext(
            settings=settings, dataset=args.dataset, split=args.split, limit=args.limit,
            seed=DEFAULT_SEED, console=err, progress=progress,
        )  # fmt: skip
        model = train_ranker(
            ctx, depth=args.depth, folds=args.folds, spelling=args.spelling,
            calibration=args.calibration, rounds=args.rounds,
        )  # fmt: skip
    path = model.save(args.out or settings.ranker_dir)
    report = model.report
    console = Console()
    figures = ", ".join(f"{k} {v:.4f}" for k, v in report.cv.items())
    console.print(f"trained on {report.queries} queries ({report.rows} pairs) "
                  f"in {report.train_seconds:.0f} s")  # fmt: skip
    console.print(f"held out ({report.folds}-fold by query): {figures}")
    console.print(f"calibration: {report.calibration}, ECE {report.ece:.4f} "
                  f"(raw {report.ece_raw:.4f})")  # fmt: skip
    console.print(f"saved: {path}")
    return 0
