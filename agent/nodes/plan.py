"""Node `plan`: the LLM planner when one is configured and useful, else the rules."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.models import Plan, TraceStep
from agent.rule_planner import EmptyPlan, rule_plan
from agent.state import State


async def plan_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Make the plan. The rule planner always runs; an LLM plan replaces it when valid."""
    started = time.perf_counter()
    deps = runtime.context
    understood = state.understood
    assert understood is not None
    try:
        plan = rule_plan(understood)
    except EmptyPlan:
        return {
            "plan": None,
            "planner_note": "nothing to search for",
            "steps": [TraceStep(name="planned", detail="empty request", ok=False)],
        }
    note = deps.planner_note
    skip_llm = understood.confident or understood.refinement is not None
    if deps.planner is not None and not skip_llm:
        history = [turn.text for turn in state.history[-3:]]
        try:
            plan = await asyncio.wait_for(
                deps.planner.plan(understood, deps.index.facets(), history=history),
                timeout=deps.settings.llm_budget_s,
            )
            note = plan.planner
        except Exception as exc:  # noqa: BLE001 - any planner failure falls back
            note = f"rule (LLM planner failed: {type(exc).__name__}: {str(exc)[:120]})"
    elif deps.planner is not None:
        note = "rule (confident single intent: LLM skipped)"
    elapsed = (time.perf_counter() - started) * 1000
    plan = Plan(subqueries=plan.subqueries, planner=plan.planner, confidence=plan.confidence)
    routes = ", ".join(f"{sq.id}->{sq.tool}" for sq in plan.subqueries)
    return {
        "plan": plan,
        "planner_note": note,
        "steps": [TraceStep(name="planned", detail=f"{note}: {routes}", elapsed_ms=elapsed)],
    }
