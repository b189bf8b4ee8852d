"""The personalisation suite: does a user's history lift what they engage with next?

Simulated users are drawn (seeded) from taste archetypes defined on catalog fields
(vegetarian or meat dishes, sweets, sci-fi, horror, comedy, crime, romance, family
films); a third of them hold two tastes. There are 480 of them: with 120 the lift of
the default weight ranged from +0.02 to +0.07 recall@10 between seeds. Their history
builds the profile: views, clicks and saves of 16 items of each taste taken from the
whole catalog, plus two random items, 60 to 7 days before the reference date. In the
last week each user runs the broad queries of their tastes' verticals ("dinner
ideas", "a movie for tonight") and engages with what the page shows them (the
query's top 30, searched in the vertical's configured retrieval mode): half of the
shown items of their tastes and one in twenty of the others. Those later engagements
are held out. A user can only engage with what search shows, so held-out items are
reachable however large the catalog is; earlier suites drew them from the
whole catalog, which left almost none among a broad query's candidates on the full
starter index. Each case is one user and one broad query; items the user engaged
with before are removed from the pool, and its held-out items are the relevant ones
(cases with none are dropped). Each configuration ranks the pool and is scored on its
top 10:

- `recall@10`: share of the held-out items in the top 10;
- `ndcg@10`: binary gains;
- `hit@10`: at least one held-out item in the top 10.

`personalised` uses the configured weight (`TESSERA_PERSONALISATION_WEIGHT`, 0.3 by
default), `strong` 0.6. A paired sign-flip permutation test over cases says whether
each beats `baseline` on recall@10 (`p_recall@10` in the report's parameters).

Personalisation must not override what a query asks for, so every configuration also
ranks specific queries ("chocolate", "war films") for 40 of the users, and the share
of its top 10 on the query's topic (a catalog field test) is reported as
`on_topic@10` in the report's parameters and printed. The pool (30) matches the
over-fetch of three times the page size that personalisation is wired with.

Run: `tessera eval personalisation` over the index under TESSERA_HOME.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field, JsonValue

from agent.models import Module, ResultItem
from agent.personal.personalise import ItemVectors, personalise
from agent.personal.profile import Profile, ProfileConfig, build_profile, item_key
from evals.metrics import ndcg, paired_permutation_p
from evals.report import CaseResult, ConfigResult, Report
from evals.runner import Observation, System, base_result, run_configs
from evals.suites import EvalContext, SuiteSpec, build_report, choose, select
from tools.catalog import VERTICALS, CatalogItem, Idea, Vertical, Video
from tools.events import Event, EventKind
from tools.registry import retrieval_mode

if TYPE_CHECKING:
    from agent.settings import Settings
    from tools.index import CatalogIndex

METRICS = ["recall@10", "ndcg@10", "hit@10"]
CUTOFF, POOL, USERS, PROBE_USERS = 10, 30, 480, 40
TASTE_SHARE, OTHER_SHARE = 0.5, 0.05
"""Chance that a user engages with a shown item of their tastes, and with any other."""
HISTORY_DAYS = (7.0, 60.0)
"""How long before the reference date the profile's events happened."""
STRONG_WEIGHT = 0.6
REFERENCE = datetime(2025, 1, 1, tzinfo=UTC)
KIDS = {"Family", "Animation"}
SWEET = {"dessert", "cake", "cookie", "confection", "muffin", "biscuit", "pie"}
ARCHETYPES: dict[str, tuple[Vertical, Callable[[CatalogItem], bool]]] = {
    "vegetarian": ("ideas", lambda i: isinstance(i, Idea) and "vegetarian" in i.diet),
    "meat": ("ideas", lambda i: isinstance(i, Idea) and "vegetarian" not in i.diet),
    "sweets": ("ideas", lambda i: isinstance(i, Idea) and bool(SWEET & set(i.tags))),
    "sci-fi": ("video", lambda i: isinstance(i, Video) and "Sci-Fi" in i.genre),
    "horror": ("video", lambda i: isinstance(i, Video) and "Horror" in i.genre),
    "comedy": ("video", lambda i: isinstance(i, Video) and "Comedy" in i.genre),
    "crime": ("video", lambda i: isinstance(i, Video) and "Crime" in i.genre),
    "romance": ("video", lambda i: isinstance(i, Video) and "Romance" in i.genre),
    "family": ("video", lambda i: isinstance(i, Video) and bool(KIDS & set(i.genre))),
}  # fmt: skip
QUERIES: dict[Vertical, tuple[str, ...]] = {
    "ideas": ("dinner ideas", "what should I cook this week"),
    "video": ("a movie for tonight", "films to watch"),
    "shopping": (),
}
KINDS: tuple[EventKind, ...] = ("view", "click", "save")


def _mentions(word: str) -> Callable[[ResultItem], bool]:
    return lambda i: bool(re.search(rf"\b{word}", f"{i.title} {i.description}".lower()))


def _genre(genre: str) -> Callable[[ResultItem], bool]:
    return lambda i: genre in i.genre


PROBES: dict[tuple[Vertical, str], Callable[[ResultItem], bool]] = {
    ("ideas", "chocolate"): _mentions("chocolate"),
    ("ideas", "chicken"): _mentions("chicken"),
    ("ideas", "soup"): _mentions("soup"),
    ("ideas", "bread"): _mentions("bread"),
    ("ideas", "salad"): _mentions("salad"),
    ("video", "horror films"): _genre("Horror"),
    ("video", "comedy movies"): _genre("Comedy"),
    ("video", "war films"): _genre("War"),
    ("video", "animated films"): _genre("Animation"),
}
"""Specific queries and what puts an item on their topic."""


class SimUser(BaseModel):
    """A simulated user: tastes, the events that build the profile, the held-out items."""

    id: str
    tastes: list[str]
    train: list[Event]
    held_out: list[str] = Field(description="`vertical:id` engaged with later.")


class PersonalisationCase(BaseModel):
    """One user and one broad query in one vertical."""

    id: str
    user: str
    vertical: Vertical
    query: str
    relevant: list[str] = Field(description="Held-out item ids reachable in the pool.")


def simulate_users(
    items: Sequence[CatalogItem],
    shown: Mapping[Vertical, Sequence[CatalogItem]],
    n: int,
    seed: int,
) -> list[SimUser]:
    """Seeded users over `items` who later engage with the `shown` items of each vertical.

    Tastes with fewer than 10 items are not used.
    """
    rng = random.Random(seed)
    pools = {name: [i for i in items if test(i)] for name, (_, test) in ARCHETYPES.items()}
    tastes = sorted(name for name, pool in pools.items() if len(pool) >= 10)
    users: list[SimUser] = []
    for u in range(n):
        user = f"u{u:03d}"
        chosen = rng.sample(tastes, 2 if rng.random() < 0.35 else 1) if tastes else []
        history = [it for t in chosen for it in rng.sample(pools[t], min(16, len(pools[t]) // 2))]
        history += rng.sample(list(items), min(2, len(items)))
        train = sorted((_event(rng, user, it, HISTORY_DAYS) for it in history), key=lambda e: e.ts)
        seen = {item_key(e.vertical, e.item_id) for e in train}
        later: list[str] = []
        for vertical in dict.fromkeys(ARCHETYPES[t][0] for t in chosen):
            liked = [ARCHETYPES[t][1] for t in chosen if ARCHETYPES[t][0] == vertical]
            for it in shown.get(vertical, ()):
                share = TASTE_SHARE if any(test(it) for test in liked) else OTHER_SHARE
                if rng.random() < share:
                    later.append(item_key(it.vertical, it.id))
        held_out = list(dict.fromkeys(k for k in later if k not in seen))
        users.append(SimUser(id=user, tastes=chosen, train=train, held_out=held_out))
    return users


def _event(rng: random.Random, user: str, item: CatalogItem, days: tuple[float, float]) -> Event:
    return Event(
        user_id=user, item_id=item.id, vertical=item.vertical,
        kind=rng.choices(KINDS, weights=(6, 3, 1))[0],
        ts=REFERENCE - timedelta(days=rng.uniform(*days)),
    )  # fmt: skip


@dataclass
class Shared:
    """What every configuration reads: pools, vectors and profiles, built once."""

    pools: dict[tuple[str, str], list[ResultItem]]
    vectors: dict[str, np.ndarray]
    profiles: dict[str, Profile]
    seen: dict[str, set[str]]


PersonalisationSystem = System[PersonalisationCase, list[str]]
Factory = Callable[[EvalContext, Shared], AbstractAsyncContextManager[PersonalisationSystem]]


def ranker(weight: float | None) -> Factory:
    """Rank each pool by `personalise` at `weight` (0 keeps retrieval's order; None: the
    configured `personalisation_weight`)."""

    @asynccontextmanager
    async def factory(ctx: EvalContext, shared: Shared) -> AsyncIterator[PersonalisationSystem]:
        lam = ctx.settings.personalisation_weight if weight is None else weight

        async def call(case: PersonalisationCase) -> list[str]:
            seen = shared.seen[case.user]
            pool = [i for i in shared.pools[(case.vertical, case.query)] if i.id not in seen]
            module = Module(id="m", title=case.query, vertical=case.vertical, reason="", items=pool)
            profile = shared.profiles.get(case.user) if lam > 0 else None
            ranked, _ = personalise(
                [module], shared.vectors, profile, lam, keep=CUTOFF, now=REFERENCE
            )
            return [i.id for i in ranked[0].items]

        yield System(call=call, description=f"pool of {POOL}, personalisation weight {lam}")

    return factory


CONFIGS = {"baseline": ranker(0.0), "personalised": ranker(None), "strong": ranker(STRONG_WEIGHT)}


def score(observations: Sequence[Observation[PersonalisationCase, list[str]]]) -> list[CaseResult]:
    results = []
    for obs in observations:
        result = base_result(obs, obs.case.query)
        top, relevant = (obs.output or [])[:CUTOFF], set(obs.case.relevant)
        gains = [1.0 if i in relevant else 0.0 for i in top]
        result.metrics = {
            "recall@10": sum(gains) / len(relevant),
            "ndcg@10": ndcg(gains, [1.0] * len(relevant), CUTOFF),
            "hit@10": 1.0 if any(gains) else 0.0,
        }
        result.detail = {"user": obs.case.user, "relevant": len(relevant)}
        results.append(result)
    return results


def prepare(
    index: CatalogIndex, seed: int, settings: Settings | None = None
) -> tuple[list[PersonalisationCase], Shared]:
    """Users, pools, vectors and profiles over the indexed catalog.

    Pools are searched as the vertical's tool searches them under `settings`
    (`vertical_modes`, `fusion`, `rrf_k`), so the figures are those of the shipped
    retrieval; without settings, RRF hybrid."""
    items: list[CatalogItem] = [
        h.item for v in VERTICALS for h in index.search(v, "", None, k=max(1, index.count(v)))
    ]
    pools: dict[tuple[str, str], list[ResultItem]] = {}
    shown: dict[Vertical, list[CatalogItem]] = {}
    wanted = [(v, q) for v, qs in QUERIES.items() for q in qs] + list(PROBES)
    for vertical, query in wanted:
        hits = index.search(vertical, query, None, k=POOL, **_search_options(settings, vertical))
        pools[(vertical, query)] = [ResultItem.from_hit(h) for h in hits]
        if query in QUERIES[vertical]:
            known = {i.id for i in shown.setdefault(vertical, [])}
            shown[vertical] += [h.item for h in hits if h.item.id not in known]
    users = simulate_users(items, shown, USERS, seed)
    lookup = ItemVectors(index)
    keys = {item_key(i.vertical, i.id) for pool in pools.values() for i in pool}
    keys |= {item_key(e.vertical, e.item_id) for u in users for e in u.train}
    vectors = lookup(sorted(keys))
    config = ProfileConfig()
    profiles = {
        u.id: build_profile(u.id, u.train, vectors, config, revision=1, key="eval") for u in users
    }
    cases: list[PersonalisationCase] = []
    for user in users:
        verticals = dict.fromkeys(ARCHETYPES[t][0] for t in user.tastes)
        for vertical in verticals:
            for n, query in enumerate(QUERIES[vertical]):
                in_pool = {i.id for i in pools[(vertical, query)]}
                held = [k.partition(":")[2] for k in user.held_out if k.startswith(vertical + ":")]
                relevant = [i for i in held if i in in_pool]
                if relevant:
                    cases.append(PersonalisationCase(
                        id=f"{user.id}-{vertical}-{n}", user=user.id, vertical=vertical,
                        query=query, relevant=relevant,
                    ))  # fmt: skip
    seen = {u.id: {e.item_id for e in u.train} for u in users}
    return cases, Shared(pools=pools, vectors=vectors, profiles=profiles, seen=seen)


def _search_options(settings: Settings | None, vertical: Vertical) -> dict[str, Any]:
    if settings is None:
        return {}
    name = settings.vertical_modes.get(vertical, "hybrid")
    mode, fusion = retrieval_mode(name, settings.fusion)
    return {
        "mode": mode,
        "fusion": fusion,
        "rrf_k": settings.rrf_k,
        "dense_weight": settings.dense_weights.get(vertical, 0.5),
    }


async def on_topic(factory: Factory, ctx: EvalContext, shared: Shared) -> float:
    """Mean share of the top 10 on the probe query's topic, over the probe users."""
    shares: list[float] = []
    async with factory(ctx, shared) as system:
        for user in sorted(shared.profiles)[:PROBE_USERS]:
            for (vertical, query), test in PROBES.items():
                case = PersonalisationCase(
                    id=f"{user}-{query}", user=user, vertical=vertical, query=query, relevant=[]
                )
                top = await system.call(case)
                items = {i.id: i for i in shared.pools[(vertical, query)]}
                shares.append(sum(test(items[i]) for i in top) / max(1, len(top)))
    return float(np.mean(shares)) if shares else 0.0


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Simulate users over the index, then score each configuration's top 10."""
    from agent.deps import open_index

    chosen = choose(CONFIGS, configs, tuple(CONFIGS))
    index = open_index(ctx.settings)
    try:
        catalog_size = index.count()
        cases, shared = await asyncio.to_thread(prepare, index, ctx.seed, ctx.settings)
    finally:
        index.close()
    cases = select(cases, ctx.limit, ctx.seed)
    results = await run_configs(
        cases,
        {name: partial(factory, ctx, shared) for name, factory in chosen.items()},
        score,
        METRICS,
        progress=ctx.progress,
        timeout_s=ctx.timeout_s,
    )
    topical: dict[str, JsonValue] = {
        name: round(await on_topic(factory, ctx, shared), 4) for name, factory in chosen.items()
    }
    params: dict[str, JsonValue] = {
        "catalog_items": catalog_size, "users": USERS, "pool": POOL, "cases": len(cases),
        "weight": ctx.settings.personalisation_weight, "on_topic@10": topical,
        "p_recall@10": significance(results, "recall@10"),
    }  # fmt: skip
    return build_report(
        ctx, suite="personalisation", dataset="simulated-users", metrics=METRICS,
        primary="recall@10", configs=results, params=params,
    )  # fmt: skip


def significance(results: Sequence[ConfigResult], metric: str) -> dict[str, JsonValue]:
    """Paired sign-flip permutation p-value of each configuration against `baseline`.

    A configuration whose mean is not above the baseline's gets p = 1 (it does not beat it).
    """
    by_name = {r.name: r for r in results if r.error is None}
    base = by_name.get("baseline")
    if base is None:
        return {}
    scores = [c.metrics.get(metric, 0.0) for c in base.cases]
    out: dict[str, JsonValue] = {}
    for name, result in by_name.items():
        if name == "baseline":
            continue
        other = [c.metrics.get(metric, 0.0) for c in result.cases]
        better = sum(other) > sum(scores)
        out[name] = round(paired_permutation_p(scores, other), 4) if better else 1.0
    return out


SUITE = SuiteSpec(
    name="personalisation",
    summary="simulated users' held-out engagements: recall@10 with and without personalisation",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=tuple(CONFIGS),
)
