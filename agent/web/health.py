"""`GET /healthz`: what a load balancer or an operator needs to know about one process.

The index (open? how many items per vertical? which version?), the planner (rules or
an LLM, and whether the LLM answers), the thread store and each backend (vectors,
items, database: embedded or shared, and whether it answers). No index or a shared
backend down means "unavailable"; no LLM when one was asked for, no thread store, or
a vertical whose vectors are damaged (searched lexically only) means "degraded".
"""

from __future__ import annotations

import asyncio
from typing import cast

from agent.backends import probe_backends
from agent.deps import Deps
from agent.engine import Engine
from agent.settings import Settings
from agent.web.bodies import Health, IndexHealth, LLMHealth, ThreadStoreHealth
from tools.catalog import VERTICALS, Vertical

PING_TIMEOUT_S = 1.5


def _index_health(settings: Settings, deps: Deps | None, unavailable: str) -> IndexHealth:
    path = str(settings.index_dir)
    if deps is None:
        return IndexHealth(ok=False, path=path, detail=unavailable)
    try:
        counts = {v: deps.index.count(v) for v in VERTICALS}
        vectors = cast(dict[Vertical, str], deps.index.dense_problems())
        return IndexHealth(
            ok=True, path=path, version=deps.index.version, counts=counts, vectors=vectors
        )
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        return IndexHealth(ok=False, path=path, detail=f"{type(exc).__name__}: {exc}")


async def _llm_health(settings: Settings, deps: Deps | None) -> LLMHealth:
    if deps is None:
        return LLMHealth(mode=settings.planner, planner="rule", note="no engine")
    name = deps.planner.name if deps.planner else "rule"
    reachable: bool | None = None
    if deps.llm is not None:
        try:
            reachable = await asyncio.wait_for(deps.llm.ping(PING_TIMEOUT_S), PING_TIMEOUT_S + 0.5)
        except Exception:  # noqa: BLE001 - unreachable is an answer, not an error
            reachable = False
    return LLMHealth(
        mode=settings.planner, planner=name, note=deps.planner_note, reachable=reachable
    )


async def _threads_health(settings: Settings, engine: Engine | None) -> ThreadStoreHealth:
    path = str(settings.threads_db)
    if engine is None:
        return ThreadStoreHealth(ok=False, path=path, detail="not opened: the index is missing")
    try:
        await engine.threads(limit=1)
    except Exception as exc:  # noqa: BLE001
        return ThreadStoreHealth(ok=False, path=path, detail=f"{type(exc).__name__}: {exc}")
    return ThreadStoreHealth(ok=True, path=path)


async def check_health(
    settings: Settings, engine: Engine | None, version: str, unavailable: str
) -> Health:
    """One health report; never raises."""
    deps = engine.deps if engine else None
    index = _index_health(settings, deps, unavailable)
    llm = await _llm_health(settings, deps)
    threads = await _threads_health(settings, engine)
    backends = await asyncio.to_thread(probe_backends, settings)
    wants_llm = settings.planner in ("llm", "hybrid")
    if not index.ok or not all(b.ok for b in backends):
        status = "unavailable"
    elif (
        not threads.ok
        or index.vectors
        or llm.reachable is False
        or (wants_llm and llm.planner == "rule")
    ):
        status = "degraded"
    else:
        status = "ok"
    return Health(
        status=status, version=version, index=index, llm=llm, threads=threads, backends=backends
    )
