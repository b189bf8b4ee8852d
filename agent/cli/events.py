"""`tessera event | forget | profile | ips`: engagement events, profiles and offline estimates.

    tessera event alice r1 --vertical ideas --kind click
    tessera profile alice
    tessera forget alice
    tessera ips --candidate by-score --candidate vertical-prior

Events and logged pages live in `TESSERA_HOME/events.sqlite`, threads in `threads.sqlite`;
`forget` removes a user from both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, get_args

from rich.console import Console
from rich.table import Table

from agent.backends import open_event_logs
from agent.deps import open_deps
from agent.memory import forget_user_threads
from agent.personal.ips import CANDIDATES, evaluate
from agent.personal.setup import Personal, forget_user
from agent.personal.views import ProfileSummary
from agent.settings import Settings
from tools.catalog import VERTICALS
from tools.events import EventError, EventKind, EventStoreError, parse_event

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add `event`, `forget`, `profile` and `ips` to the `tessera` parser."""
    event = subparsers.add_parser("event", help="record that a user viewed/clicked/saved an item")
    event.add_argument("user", metavar="USER", help="the user's id")
    event.add_argument("item", metavar="ITEM", help="the catalog item's id")
    event.add_argument("--vertical", required=True, choices=VERTICALS, help="the item's vertical")
    event.add_argument("--kind", default="click", choices=get_args(EventKind))
    event.add_argument("--page", default=None, help="the page_id the item was shown on")
    event.add_argument("--module", default=None, help="the module id it was shown in")
    event.set_defaults(handler=run_event)
    forget = subparsers.add_parser(
        "forget", help="delete a user's events, pages, profile and threads"
    )
    forget.add_argument("user", metavar="USER")
    forget.set_defaults(handler=run_forget)
    profile = subparsers.add_parser("profile", help="show a user's interests")
    profile.add_argument("user", metavar="USER")
    profile.add_argument("--json", action="store_true", help="print the profile as JSON")
    profile.set_defaults(handler=run_profile)
    ips = subparsers.add_parser("ips", help="estimate module rankers' CTR from logged pages")
    ips.add_argument(
        "--candidate", action="append", default=[], choices=CANDIDATES, metavar="NAME",
        help=f"a ranker to estimate, repeatable: {', '.join(CANDIDATES)} (default: all)",
    )  # fmt: skip
    ips.add_argument("--estimator", choices=["snips", "ips"], default="snips")
    ips.add_argument(
        "--target", choices=["slots", "page"], default="slots",
        help="slots: engaged modules per page; page: share of pages engaged with",
    )  # fmt: skip
    ips.add_argument("--clip", type=float, default=None, help="weight clip (TESSERA_IPS_CLIP)")
    ips.add_argument("--days", type=float, default=None, help="only pages of the last N days")
    ips.add_argument("--json", action="store_true", help="print the estimates as JSON")
    ips.set_defaults(handler=run_ips)


def _fail(message: str) -> int:
    Console(stderr=True).print(f"[red]error:[/] {message}")
    return 2


async def _with_personal(settings: Settings, use: Callable[[Personal], T]) -> T:
    """Run `use` on personalisation opened (and closed) with the index, LLM off."""
    async with open_deps(settings, use_llm=False, require_personal=True) as deps:
        assert deps.personal is not None
        return use(deps.personal)


def run_event(args: argparse.Namespace, settings: Settings) -> int:
    """Record one event about an indexed item."""
    raw = {"user_id": args.user, "item_id": args.item, "vertical": args.vertical,
           "kind": args.kind, "page_id": args.page, "module_id": args.module}  # fmt: skip
    try:
        event = parse_event(raw)
        event_id = asyncio.run(_with_personal(settings, lambda p: p.record(event)))
    except (EventError, EventStoreError) as exc:
        return _fail(str(exc))
    Console().print(f"recorded {args.kind} #{event_id}: {args.user} -> {args.vertical}:{args.item}")
    return 0


def run_forget(args: argparse.Namespace, settings: Settings) -> int:
    """Delete everything stored about one user."""
    with ExitStack() as stack:
        try:
            events, impressions = open_event_logs(settings)
            stack.callback(events.close)
            stack.callback(impressions.close)
            report = forget_user(events, impressions, args.user)
        except EventStoreError as exc:
            return _fail(str(exc))
    threads = asyncio.run(forget_user_threads(settings, args.user))
    Console().print(
        f"forgot {report.user_id}: {report.events} event(s), {report.impressions} logged "
        f"page(s){', profile' if report.profile else ''}; {threads} thread(s)"
    )
    return 0


def print_profile(summary: ProfileSummary, console: Console) -> None:
    """Interests as a table: weight, size, typical item and examples."""
    table = Table(
        title=f"{summary.user_id}: {summary.events} event(s), strength {summary.strength:.2f}"
    )
    table.add_column("weight", justify="right")
    table.add_column("items", justify="right")
    table.add_column("typical")
    table.add_column("examples")
    for interest in summary.interests:
        table.add_row(
            f"{interest.weight:.2f}",
            str(interest.size),
            interest.medoid.title,
            "; ".join(e.title for e in interest.examples),
        )
    console.print(table)


def run_profile(args: argparse.Namespace, settings: Settings) -> int:
    """Print a user's interests."""
    try:
        summary = asyncio.run(_with_personal(settings, lambda p: p.profile_summary(args.user)))
    except EventStoreError as exc:
        return _fail(str(exc))
    if summary is None:
        return _fail(f"no events recorded for user {args.user!r}")
    if args.json:
        print(summary.model_dump_json(indent=2))
    else:
        print_profile(summary, Console())
    return 0


def run_ips(args: argparse.Namespace, settings: Settings) -> int:
    """Replay the logged pages against candidate module rankers."""
    clip = settings.ips_clip if args.clip is None else args.clip
    if clip <= 1:
        return _fail("--clip must be greater than 1")
    since = datetime.now(UTC) - timedelta(days=args.days) if args.days else None
    with ExitStack() as stack:
        try:
            events, impressions = open_event_logs(settings)
            stack.callback(events.close)
            stack.callback(impressions.close)
            logs = impressions.logged_pages(events, since=since)
        except EventStoreError as exc:
            return _fail(str(exc))
    if not logs:
        return _fail("no logged pages yet: search with a user id (e.g. `tessera search --user`)")
    from agent.personal.module_ranker import ModuleWeights

    learned = ModuleWeights.load(settings.module_weights_path)
    rows = evaluate(
        logs, args.candidate, estimator=args.estimator, target=args.target, clip=clip,
        learned=learned,
    )  # fmt: skip
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return 0
    engaged = sum(1 for p in logs if p.clicked)
    table = Table(
        title=f"{args.estimator.upper()} ({args.target}) over {len(logs)} logged page(s), "
        f"{engaged} with engagement; clip {clip:g}"
    )
    for column in ("candidate", "estimate", "std err", "95% CI", "matched", "clipped"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    for row in rows:
        est = row.estimate
        table.add_row(
            row.name, f"{est.value:.4f}", f"{est.stderr:.4f}",
            f"{est.value - 1.96 * est.stderr:.4f} to {est.value + 1.96 * est.stderr:.4f}",
            f"{est.matched_share:.0%}", f"{est.clipped_share:.1%}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(f"learned = module weights: {learned.source}")
    return 0
