"""The aspects of a broad intent, from the shared store or one LLM call behind the gate.

`proposals` first looks the normalised intent up in the expansion store
(`tools/expansions.py`: SQLite under TESSERA_HOME, or PostgreSQL), so a repeat
by anyone, in any worker, costs no call. Otherwise it asks the LLM once, behind
the process's gate (breaker and concurrency limit), within the time left, and
stores the model's lists as they came; they are verified on every use, so a
stricter check applies to stored expansions too. It returns None, with the reason,
when the LLM cannot be asked (none configured, breaker open, busy, failed, late):
the caller then opens the intent from the catalog alone.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import ValidationError

from agent.llm.budget import usage as budget_usage
from agent.llm.client import Budget, LLMError
from agent.llm.gate import LLMBusy
from agent.planning.aspects import AspectLists, AspectOpener, Proposal, normalise_intent, verify
from agent.trace import LLMUsage

if TYPE_CHECKING:
    from agent.deps import Deps


def _cached(deps: Deps, intent: str, model: str) -> AspectLists | None:
    if deps.expansions is None:
        return None
    try:
        body = deps.expansions.get(intent, model)
        return AspectLists.model_validate_json(body) if body else None
    except (ValidationError, Exception):  # noqa: BLE001 - a bad or unreachable cache is a miss
        return None


def _store(deps: Deps, intent: str, model: str, lists: AspectLists) -> None:
    if deps.expansions is None:
        return
    try:
        deps.expansions.put(intent, model, lists.model_dump_json())
    except Exception:  # noqa: BLE001 - the page does not depend on the cache
        return


async def proposals(
    deps: Deps, request: str, seconds: float
) -> tuple[list[Proposal] | None, str, list[LLMUsage]]:
    """The verified proposals, where they came from (or why there are none), LLM usage."""
    llm = deps.llm
    if llm is None:
        return None, "no LLM (" + deps.planner_note + ")", []
    intent = normalise_intent(request)
    opener = AspectOpener(llm, max_tokens=deps.settings.explore_max_tokens)
    cached = await asyncio.to_thread(_cached, deps, intent, opener.model)
    if cached is not None:
        return verify(request, cached), f"{llm.model} (stored expansion)", []
    gate = deps.gate
    assert gate is not None
    skip = gate.skip_reason()
    if skip is not None:
        return None, f"LLM skipped: {skip}", []
    if seconds <= 0.2:
        return None, "LLM skipped: no time left before the deadline", []
    budget = Budget.start(max_calls=1, seconds=seconds)
    try:
        async with gate.slot():
            async with asyncio.timeout(budget.remaining_s() + 0.2):
                lists = await opener.open(request, budget)
    except LLMBusy as exc:
        return None, f"LLM skipped: {exc}", []
    except TimeoutError:
        gate.failed()
        return None, "LLM gave no aspects before the deadline", budget_usage(budget)
    except LLMError as exc:
        outcomes = {r.outcome for r in budget.records}
        if outcomes & {"timeout", "error"} and "ok" not in outcomes:
            gate.failed()
        else:
            gate.succeeded()
        return None, f"LLM aspects failed: {str(exc)[:160]}", budget_usage(budget)
    gate.succeeded()
    await asyncio.to_thread(_store, deps, intent, opener.model, lists)
    return verify(request, lists), llm.model, budget_usage(budget)
