"""`tessera search`: one request, printed as modules or as the page's JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from agent.models import SearchRequest
from agent.settings import Settings
from tools.filters import Filters


def add_search_parser(sub: Any) -> None:
    parser = sub.add_parser("search", help="search and print one page")
    parser.add_argument(
        "query", nargs="?", default="", help="what to look for, e.g. 'pasta recipes and a lamp'"
    )
    parser.add_argument("--image", type=Path, default=None, help="search with a picture")
    parser.add_argument("--json", action="store_true", help="print the page as JSON")
    parser.add_argument(
        "--user",
        default=None,
        metavar="USER",
        help="personalise for this user id (and log the page)",
    )
    parser.add_argument("--k", type=int, default=8, help="items per module (1-50)")
    parser.add_argument(
        "--exact", action="store_true", help="search the words as typed (no spelling correction)"
    )
    parser.add_argument(
        "--filters", default=None, help="explicit filters as JSON, e.g. '{\"price_max\": 50}'"
    )
    add_planner_option(parser)
    add_trace_option(parser)
    parser.set_defaults(handler=run_search)


def add_planner_option(parser: Any) -> None:
    """`--planner auto|rule|llm`, shared by the commands that run the graph."""
    parser.add_argument(
        "--planner",
        choices=["auto", "rule", "llm"],
        default=None,
        help="rule: no LLM; llm: start the local LLM if needed; auto: use one if running",
    )


def add_trace_option(parser: Any) -> None:
    """`--trace`: also print how the page was made (planner, steps, notes)."""
    parser.add_argument(
        "--trace", action="store_true", help="also show how each page was made (planner, steps)"
    )


def parse_filters(raw: str | None) -> Filters:
    """Parse --filters JSON into `Filters`, with a message naming the bad field."""
    if not raw:
        return Filters()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--filters is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError('--filters must be a JSON object such as {"price_max": 50}')
    try:
        return Filters.model_validate(data)
    except ValidationError as exc:
        known = ", ".join(Filters.model_fields)
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'filters'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ValueError(f"bad --filters: {problems} (filters: {known})") from None


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print one page (the engine is imported here, so other commands start without it)."""
    from agent.cli.render import print_page

    console = Console()
    err = Console(stderr=True)
    if not args.query.strip() and args.image is None:
        err.print("[red]error:[/] the query is empty: type a few words, e.g. 'pasta recipes'")
        return 2
    if args.image is not None and not args.image.is_file():
        err.print(f"[red]error:[/] no image at {args.image}")
        return 2
    if not 1 <= args.k <= 50:
        err.print("[red]error:[/] --k must be between 1 and 50")
        return 2
    try:
        filters = parse_filters(args.filters)
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        return 2
    overrides = {"planner": args.planner} if args.planner else {}
    settings = settings.model_copy(update=overrides)
    image = str(args.image.resolve()) if args.image is not None else None
    request = SearchRequest(
        text=args.query[:10_000],
        filters=filters,
        k=args.k,
        image=image,
        user_id=args.user,
        exact=args.exact,
    )
    page = asyncio.run(_search(settings, request, None if args.json else err))
    if args.json:
        print(json.dumps(page.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        again = page.spelling.original if page.spelling else ""
        print_page(
            page,
            console,
            exact_hint=f"tessera search --exact {shlex.quote(again)}",
            trace=args.trace,
        )
        if args.user:
            console.print(f"[dim]page {page.page_id} (tessera event ... --page {page.page_id})[/]")
    return 0


async def _search(settings: Settings, request: SearchRequest, progress: Console | None) -> Any:
    """The page; with a `progress` console, a spinner follows the steps and the aspect
    modules of a broad request as they arrive."""
    from agent.cli.render_live import follow_stream
    from agent.deps import open_deps
    from agent.engine import Engine

    async with open_deps(settings, vision=request.image is not None) as deps:
        engine = Engine(deps)
        if progress is None:
            return await engine.search(request)
        return await follow_stream(engine.stream(request), progress, show_steps=False)
