"""Node `plan`: the LLM planner when one is configured and useful, else the rules.

The rule plan is always made first; it is the answer when no LLM is attached,
when the request is a confident single intent or a follow-up, when the LLM
fails, times out or returns junk, and when the budget is spent. LLM plans are
cached by normalised request and conversation, so a repeat costs no LLM call.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.llm.budget import request_budget
from agent.llm.budget import usage as budget_usage
from agent.planning.rules import EmptyPlan, rule_plan
from agent.state import State
from agent.trace import LLMUsage, TraceStep


async def plan_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Make the plan and say in the trace which planner made it and why."""
    started = time.perf_counter()
    deps = runtime.context
    understood = state.understood
    assert understood is not None
    try:
        plan = rule_plan(understood)
    except EmptyPlan:
        step = TraceStep(name="planned", detail="empty request", ok=False)
        return {"plan": None, "planner_note": "nothing to search for", "steps": [step]}
    note = deps.planner_note
    usage: list[LLMUsage] = []
    skip = understood.refinement is not None or (
        understood.confident and deps.settings.planner != "llm"
    )
    if deps.planner is not None and skip:
        note = "rule (confident single intent: LLM skipped)"
    elif deps.planner is not None:
        history = [turn.text for turn in state.history[-3:]]
        key = (understood.text.lower(), tuple(history))
        cached = deps.caches.plans.get(key) if deps.caches else None
        if cached is not None:
            plan, note = cached, f"{cached.planner} (plan cache)"
        else:
            budget = request_budget(deps.settings, state)
            try:
                plan = await deps.planner.plan(
                    understood, deps.index.facets(), history=history, budget=budget
                )
                note = plan.planner
                if deps.caches:
                    deps.caches.plans.put(key, plan)
            except Exception as exc:  # noqa: BLE001 - any planner failure falls back
                note = f"rule (LLM planner failed: {str(exc)[:160]})"
            usage = budget_usage(budget)
    routes = ", ".join(f"{sq.id}->{sq.tool}" for sq in plan.subqueries)
    elapsed = (time.perf_counter() - started) * 1000
    return {
        "plan": plan,
        "planner_note": note,
        "llm_calls": usage,
        "steps": [TraceStep(name="planned", detail=f"{note}: {routes}", elapsed_ms=elapsed)],
    }
