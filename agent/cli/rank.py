"""`tessera rank train | train-modules`: fit the learned rankers and save them.

`train` fits the item ranker on BEIR judgments; the model lands in
`TESSERA_HOME/ranker` (or `--out`), where `TESSERA_RANKER=ltr` finds it. The dataset
is indexed once into the eval index, like the retrieval suite.

`train-modules` fits the page's module weights on the logged pages (impressions
with their exploration propensities, joined with clicks and saves) by maximising
an off-policy estimate of engaged modules per page, and saves them to
`TESSERA_HOME/module_ranker.json`, which the rank node then uses. It prints the
learned and the current weights' IPS and SNIPS estimates on held-out pages.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from agent.settings import Settings
from tools.ltr.training import DEFAULT_ROUNDS


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
    train.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                       help=f"boosting rounds (default {DEFAULT_ROUNDS})")  # fmt: skip
    train.add_argument("--limit", type=int, default=None, metavar="N",
                       help="train on a seeded sample of N queries")  # fmt: skip
    train.add_argument("--calibration", choices=("isotonic", "platt"), default="isotonic")
    train.add_argument("--spelling", action="store_true",
                       help="correct query spelling against the catalog first")  # fmt: skip
    train.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="where to save (default TESSERA_HOME/ranker)")  # fmt: skip
    train.set_defaults(handler=run_train)
    modules = sub.add_parser(
        "train-modules", help="fit the module ranker's weights on logged pages (IPS/SNIPS)"
    )
    modules.add_argument("--estimator", choices=("snips", "ips", "gain-lcb"), default="snips",
                         help="the objective maximised: an estimate of engaged modules per "
                         "page, or gain-lcb, the lower 95%% bound of the paired gain over the "
                         "current weights (default snips)")  # fmt: skip
    modules.add_argument("--held-out", type=float, default=0.5, metavar="SHARE",
                         help="share of pages kept out of fitting (default 0.5)")  # fmt: skip
    modules.add_argument("--trials", type=int, default=200, help="random-search trials")
    modules.add_argument("--clip", type=float, default=None, help="weight clip (TESSERA_IPS_CLIP)")
    modules.add_argument("--dry-run", action="store_true", help="estimate only, save nothing")
    modules.add_argument("--require-gain", action="store_true",
                         help="save only when the held-out paired gain's 95%% interval is "
                         "above zero")  # fmt: skip
    modules.set_defaults(handler=run_train_modules)


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


def run_train_modules(args: argparse.Namespace, settings: Settings) -> int:
    """Fit module weights on logged pages, print held-out estimates, save them."""
    from agent.backends import open_event_logs
    from agent.personal.module_ranker import ModuleWeights, train_and_compare
    from tools.sqlite_log import EventStoreError

    err = Console(stderr=True)
    clip = settings.ips_clip if args.clip is None else args.clip
    if clip <= 1 or not 0 < args.held_out < 1 or args.trials < 1:
        err.print("[red]error:[/] --clip must exceed 1, --held-out lie in (0, 1), --trials >= 1")
        return 2
    try:
        events, impressions = open_event_logs(settings)
        try:
            logs = impressions.logged_pages(events)
        finally:
            events.close()
            impressions.close()
    except EventStoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        return 1
    try:
        result = train_and_compare(
            logs, ModuleWeights(), estimator=args.estimator, clip=clip,
            held_out=args.held_out, trials=args.trials,
        )  # fmt: skip
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}; search with a user id to log pages")
        return 1
    console = Console()
    console.print(
        f"{result.fit_pages} pages fitted, {result.held_out_pages} held out "
        f"(of {len(logs)} logged); objective {args.estimator}, clip {clip:g}"
    )
    for name, weights in (("current", result.current), ("learned", result.learned)):
        shown = ", ".join(f"{k} {v:+.3f}" for k, v in weights.model_dump().items() if k != "source")
        console.print(f"{name:8} weights: {shown}")
    console.print(
        f"fitted pages: learned {result.fit_learned:.4f}, current {result.fit_current:.4f}"
    )
    for estimator, pair in result.held_out.items():
        for name, est in pair.items():
            low, high = est.value - 1.96 * est.stderr, est.value + 1.96 * est.stderr
            console.print(
                f"held out {estimator.upper():5} {name:8} {est.value:.4f} "
                f"(95% CI {low:.4f} to {high:.4f}, matched {est.matched_share:.0%})"
            )
    gain = result.gain
    low, high = gain.interval
    console.print(
        f"held out gain, learned - current (paired IPS) {gain.value:+.4f} "
        f"(95% CI {low:+.4f} to {high:+.4f}; the orders differ on {gain.differing} "
        f"of {gain.pages} pages)"
    )
    if args.dry_run:
        return 0
    if args.require_gain and low <= 0:
        console.print("not saved: the held-out gain's interval does not exclude zero")
        return 0
    console.print(f"saved: {result.learned.save(settings.module_weights_path)}")
    return 0
