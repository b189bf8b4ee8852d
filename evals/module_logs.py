"""Logged pages from simulated users, to learn and check the module order offline.

The users are the personalisation suite's (`simulate_users`: taste archetypes over
catalog fields, with a history of views, clicks and saves that builds their profile).
Each simulated page is a real search through the graph (rule planner) for a user and
a query drawn from `QUERIES`, which span several verticals so pages carry several
modules; the explorer perturbs the module order and the page is logged with its
propensities, exactly as a served page is. The user then looks down the page: the
module at position p is examined with probability 1 / (p + 1), and an examined
module is engaged with when one of its first `LOOK` items is, each with probability
0.5 when it fits one of the user's tastes and 0.05 otherwise (the suite's shares).
Engagements are recorded as click events carrying the page and module ids.

Run (into a scratch TESSERA_HOME holding a copy of the index):
    python -m evals.module_logs --pages 1500 --epsilon 0.3
then `tessera rank train-modules` and `tessera ips`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from agent.deps import open_deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.personal.exploration import ExplorationConfig, Explorer
from agent.settings import Settings
from evals.suites.personalisation import (
    ARCHETYPES,
    OTHER_SHARE,
    REFERENCE,
    TASTE_SHARE,
    simulate_users,
)
from tools.catalog import VERTICALS, CatalogItem
from tools.events import Event
from tools.impressions import LoggingMode

QUERIES = (
    "dinner ideas and a movie for tonight",
    "pasta recipes and a film",
    "cake and a comedy",
    "soup recipes and a documentary",
    "a horror film and snacks",
    "vegetarian dinner and something to watch",
    "chicken recipes and a desk lamp",
    "a family movie and cookies",
    "sci-fi films and a pizza",
    "romantic dinner and a romance film",
    "crime movies and a coffee maker",
    "salad ideas and a kitchen knife",
)
LOOK = 3


class SimulatedLogs(BaseModel):
    """What the simulation logged, and what the simulated users would have done."""

    users: int
    pages: int
    explored: int
    engaged_pages: int
    clicks: int
    mean_modules: float
    engage: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="`{page_id: {module_id: chance the user engages with it if examined}}`: "
        "the ground truth any module order of the page can be scored on exactly.",
    )


def expected_engaged(order: Sequence[str], engage: Mapping[str, float]) -> float:
    """Expected engaged modules of a page shown in `order` (examined with 1 / (p + 1))."""
    return sum(engage.get(m, 0.0) / (p + 1) for p, m in enumerate(order))


def engage_chance(liked: Sequence[bool]) -> float:
    """Chance that an examined module with these first items is engaged with."""
    miss = 1.0
    for fits in liked[:LOOK]:
        miss *= 1.0 - (TASTE_SHARE if fits else OTHER_SHARE)
    return 1.0 - miss


async def simulate(
    settings: Settings,
    *,
    users: int = 120,
    pages: int = 1500,
    seed: int = 13,
    epsilon: float = 0.3,
    mode: LoggingMode = "plackett_luce",
    temperature: float = 0.5,
    queries: Sequence[str] = QUERIES,
) -> SimulatedLogs:
    """Log `pages` pages of simulated users into the event store under `settings`."""
    settings = settings.model_copy(update={"planner": "rule"})
    rng = random.Random(seed)
    async with open_deps(settings, use_llm=False, require_personal=True) as deps:
        personal = deps.personal
        assert personal is not None
        personal.explorer = Explorer(
            ExplorationConfig(epsilon=epsilon, mode=mode, temperature=temperature), seed=seed
        )
        index = deps.index
        items: list[CatalogItem] = [
            h.item for v in VERTICALS for h in index.search(v, "", None, k=max(1, index.count(v)))
        ]
        people = simulate_users(items, {}, users, seed)
        now = datetime.now(UTC)
        for person in people:
            for event in person.train:
                personal.events.add(event.model_copy(update={"ts": now - (REFERENCE - event.ts)}))
        engine = Engine(deps)
        explored = engaged = clicks = modules = 0
        truth: dict[str, dict[str, float]] = {}
        for _ in range(pages):
            person = rng.choice(people)
            page = await engine.search(
                SearchRequest(text=rng.choice(list(queries)), user_id=person.id)
            )
            tests = [ARCHETYPES[t][1] for t in person.tastes]
            trace = page.trace.personalisation
            explored += bool(trace and trace.exploration and trace.exploration.explored)
            modules += len(page.modules)
            hit = False
            chances = truth.setdefault(page.page_id, {})
            for position, module in enumerate(page.modules):
                shown = module.items[:LOOK]
                records = {c.id: c for c in index.get(module.vertical, [i.id for i in shown])}  # type: ignore[arg-type]
                fits = [
                    (r := records.get(item.id)) is not None and any(test(r) for test in tests)
                    for item in shown
                ]
                chances[module.id] = round(engage_chance(fits), 6)
                if rng.random() >= 1.0 / (position + 1):
                    continue
                for item, liked in zip(shown, fits, strict=True):
                    if rng.random() < (TASTE_SHARE if liked else OTHER_SHARE):
                        personal.events.add(Event(
                            user_id=person.id, item_id=item.id, vertical=module.vertical,
                            kind="click", page_id=page.page_id, module_id=module.id,
                        ))  # fmt: skip
                        clicks += 1
                        hit = True
                        break
            engaged += hit
    return SimulatedLogs(
        users=users,
        pages=pages,
        explored=explored,
        engaged_pages=engaged,
        clicks=clicks,
        mean_modules=round(modules / max(pages, 1), 2),
        engage=truth,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epsilon", type=float, default=0.3)
    parser.add_argument("--mode", choices=("swap", "plackett_luce"), default="plackett_luce")
    parser.add_argument("--temperature", type=float, default=0.5)
    parser.add_argument(
        "--truth",
        type=Path,
        default=None,
        metavar="PATH",
        help="write each page's per-module engagement chances here (JSON)",
    )
    args = parser.parse_args()
    result = asyncio.run(
        simulate(
            Settings(), users=args.users, pages=args.pages, seed=args.seed,
            epsilon=args.epsilon, mode=args.mode, temperature=args.temperature,
        )
    )  # fmt: skip
    if args.truth is not None:
        args.truth.write_text(json.dumps(result.engage), encoding="utf-8")
    print(result.model_dump_json(indent=2, exclude={"engage"}))


if __name__ == "__main__":
    main()
