"""Personalise one ranked page for a user, choose the shown module order, log the impression.

Runs inside the `rank` node for requests that carry a `user_id`. The profile and the
item vectors are read in worker threads; personalisation re-ranks the over-fetched
items of each module, trims them to the page size and re-orders modules; the explorer
then picks the order actually shown and the impression (with its propensity) is logged.
Nothing here can fail the page: a profile that cannot be read leaves the page
unpersonalised and a failed log write is reported in the trace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from agent.models import Module, ToolResult
from agent.personal.personalise import personalise
from agent.personal.profile import ItemKey, Profile, item_key
from agent.personal.setup import Personal
from agent.trace import ExplorationTrace, PersonalisationReport, PersonalisationTrace
from tools.catalog import CatalogItem

logger = logging.getLogger("tessera.personal")


class PersonalPage(BaseModel):
    """The modules to show and what personalisation and exploration did to them."""

    modules: list[Module]
    trace: PersonalisationTrace = Field(description="Goes to `Trace.personalisation`.")
    detail: str = Field(description="One line for the `ranked` step.")
    ok: bool = Field(default=True, description="False when a part failed and was skipped.")


def trim(modules: Sequence[Module], k: int) -> list[Module]:
    """Each module cut to its first `k` items."""
    return [
        m if len(m.items) <= k else m.model_copy(update={"items": m.items[:k]}) for m in modules
    ]


def item_vectors(
    personal: Personal, modules: Sequence[Module], results: Sequence[ToolResult]
) -> dict[ItemKey, np.ndarray]:
    """Unit vectors of every item on the modules, by `vertical:id`.

    Items retrieved by a tool are looked up with their catalog record in hand (embedded
    if the index has no stored vector); others (e.g. look-alike images) by key.
    """
    wanted = {item_key(i.vertical, i.id) for m in modules for i in m.items}
    found: dict[ItemKey, CatalogItem] = {}
    for result in results:
        for hit in result.hits:
            key = item_key(hit.item.vertical, hit.item.id)
            if key in wanted:
                found.setdefault(key, hit.item)
    vectors = personal.vectors.of_items(found.values())
    rest = sorted(wanted - vectors.keys())
    return vectors | (personal.vectors(rest) if rest else {})


async def _personalised(
    personal: Personal,
    user_id: str,
    modules: list[Module],
    results: Sequence[ToolResult],
    weight: float,
    k: int,
) -> tuple[list[Module], PersonalisationReport]:
    try:
        profile: Profile | None = await asyncio.to_thread(personal.profiles.get, user_id)
        vectors = (
            await asyncio.to_thread(item_vectors, personal, modules, results)
            if profile is not None and not profile.empty
            else {}
        )
    except Exception as exc:  # noqa: BLE001 - a profile that cannot be read is skipped
        logger.warning("profile of %r unavailable", user_id, exc_info=True)
        report = PersonalisationReport(applied=False, reason=f"profile unavailable: {exc}")
        return trim(modules, k), report
    return personalise(modules, vectors, profile, weight, keep=k, config=personal.config)


async def personalise_page(
    personal: Personal,
    *,
    user_id: str,
    query: str,
    modules: list[Module],
    results: Sequence[ToolResult],
    weight: float,
    k: int,
    page_id: str,
) -> PersonalPage:
    """Personalise, explore and log one page for `user_id`."""
    ranked, report = await _personalised(personal, user_id, modules, results, weight, k)
    shown, impression = personal.explorer.present(
        ranked, page_id=page_id, user_id=user_id, query=query
    )
    logged, error = False, None
    if shown:
        try:
            await asyncio.to_thread(personal.impressions.log, impression)
            logged = True
        except Exception as exc:  # noqa: BLE001 - the page is shown even if logging fails
            logger.warning("logging page %s failed", page_id, exc_info=True)
            error = f"impression not logged: {exc}"
    exploration = ExplorationTrace(
        explored=impression.explored,
        propensity=round(impression.propensity, 6),
        mode=impression.mode,
        epsilon=impression.epsilon,
        ranked=impression.ranked,
        shown=list(impression.shown),
        module_propensity={m.module_id: round(m.propensity, 6) for m in impression.modules},
        logged=logged,
    )
    trace = PersonalisationTrace(**dict(report), exploration=exploration, error=error)
    moved = sum(1 for s in report.modules if s.rank_delta or s.items_moved)
    detail = (
        f"personalised (weight {report.weight:.2f}): {moved}/{len(ranked)} module(s) moved"
        if report.applied
        else f"not personalised: {report.reason}"
    )
    if impression.explored:
        detail += f"; explored order (p={impression.propensity:.3f})"
    if error:
        detail += f"; {error}"
    return PersonalPage(modules=shown, trace=trace, detail=detail, ok=error is None)
