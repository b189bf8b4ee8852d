"""Node `plan`: the router decides, and calls the LLM only for the kinds of request it helps.

The rule plan is always made first. In `auto` (and `hybrid`) mode the
distilled router then places every clause the reader found, and the request's
kind is read (`agent/planning/kinds.py`: long run-on multi-intent, constraint
phrasing, follow-up, single). The router's plan stands unless the kind is one
`TESSERA_LLM_PLAN_KINDS` names, where the LLM measurably beats it. For a long
request the LLM only cuts the text into clauses (spans of the request,
verified) and the router routes each (`TESSERA_LLM_PLAN_TASK=split`), or
plans it outright (`plan`). `llm` mode asks the LLM's full plan for every
request but a follow-up. The LLM call is one blocking attempt with tight
limits, behind the process's gate (breaker and concurrency limit); when it is
skipped, busy, fails, times out or returns junk, the router's (or the rule)
plan is the answer. LLM plans are cached by normalised request and
conversation, so a repeat costs no call. The trace says who decided and why.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langgraph.runtime import Runtime
from opentelemetry import trace

from agent.deps import Deps
from agent.llm.budget import request_budget
from agent.llm.budget import usage as budget_usage
from agent.llm.client import Budget
from agent.llm.gate import LLMBusy
from agent.models import Plan
from agent.planning.kinds import request_kind
from agent.planning.routed import routed_plan
from agent.planning.rules import EmptyPlan, rule_plan
from agent.planning.splitter import ClauseSplitter
from agent.settings import RequestKind
from agent.state import State
from agent.trace import LLMUsage, TraceStep
from agent.understand.model import Understanding
from tools.tracing import event


def _first_plan(
    deps: Deps, understood: Understanding, follow_up: bool
) -> tuple[Plan, str, str, RequestKind]:
    """The plan made without the LLM, why, the LLM task worth a call ('' for none), and
    the request's kind."""
    plan = rule_plan(understood)
    settings = deps.settings
    mode = settings.planner
    routed = mode in ("auto", "hybrid") and deps.router is not None
    if understood.refinement is not None:
        note = "rule (follow-up read against the last turn: LLM skipped)"
        if routed and "followup" in settings.plan_kinds:
            note = "rule (follow-up read against the last turn; followup: LLM asked)"
            return plan, note, "plan", "followup"
        return plan, note, "", "followup"
    if routed:
        assert deps.router is not None
        routing = routed_plan(understood, deps.router)
        kind = request_kind(understood, routing.routing, follow_up=follow_up)
        if kind not in settings.plan_kinds:
            return routing.plan, f"router: {routing.reason}; {kind}: LLM not asked", "", kind
        task = settings.llm_plan_task if kind == "long" else "plan"
        return routing.plan, f"router: {routing.reason}; {kind}: LLM asked", task, kind
    kind = request_kind(understood, None, follow_up=follow_up)
    if mode == "llm":
        return plan, "rule", "plan", kind
    if understood.confident:
        return plan, "rule (confident single intent: LLM skipped)", "", kind
    return plan, "rule", "plan", kind


def _with(note: str, why: str) -> str:
    return f"rule ({why})" if note == "rule" else f"{note} ({why})"


def _plan_budget(deps: Deps, state: State) -> Budget:
    left = request_budget(deps.settings, state)
    return Budget.start(
        max_calls=min(left.max_calls, deps.settings.llm_plan_calls),
        seconds=min(left.remaining_s(), deps.settings.llm_plan_budget_s),
    )


async def plan_node(state: State, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Make the plan and say in the trace which planner made it and why."""
    started = time.perf_counter()
    deps = runtime.context
    understood = state.understood
    assert understood is not None
    try:
        plan, note, task, kind = _first_plan(deps, understood, follow_up=bool(state.history))
    except EmptyPlan:
        step = TraceStep(name="planned", detail="empty request", ok=False)
        return {
            "plan": None,
            "kind": None,
            "planner_note": "nothing to search for",
            "steps": [step],
        }
    usage: list[LLMUsage] = []
    skip = deps.gate.skip_reason() if deps.gate else None
    if not task:
        pass
    elif deps.planner is None:
        note = deps.planner_note if note == "rule" else f"{note}; {deps.planner_note}"
    elif skip is not None:
        note = _with(note, skip)
        event("llm.breaker_open", {"tessera.reason": skip})
    else:
        history = [turn.text for turn in state.history[-3:]]
        key = (understood.text.lower(), tuple(history), task)
        cached = deps.caches.plans.get(key) if deps.caches else None
        if cached is not None:
            plan, note = cached, f"{cached.planner} (plan cache)"
        else:
            budget = _plan_budget(deps, state)
            llm_plan, why = await _ask_llm(deps, understood, history, budget, task)
            usage = budget_usage(budget)
            if llm_plan is not None:
                plan, note = llm_plan, _with(llm_plan.planner, note if note != "rule" else why)
                if deps.caches:
                    deps.caches.plans.put(key, plan)
            else:
                note = _with(note, why)
                event("fallback.router", {"tessera.reason": why})
    routes = ", ".join(f"{sq.id}->{sq.tool}" for sq in plan.subqueries)
    elapsed = (time.perf_counter() - started) * 1000
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes(
            {
                "tessera.planner": note,
                "tessera.subqueries": len(plan.subqueries),
                "tessera.tools": [sq.tool for sq in plan.subqueries],
            }
        )
    return {
        "plan": plan,
        "kind": kind,
        "planner_note": note,
        "llm_calls": usage,
        "steps": [TraceStep(name="planned", detail=f"{note}: {routes}", elapsed_ms=elapsed)],
    }


async def _llm_plan(
    deps: Deps, understood: Understanding, history: list[str], budget: Budget, task: str
) -> Plan:
    assert deps.planner is not None
    vocab = deps.index.facets()
    if task == "split" and deps.llm is not None and deps.router is not None:
        splitter = ClauseSplitter(
            deps.llm, deps.router, max_tokens=deps.settings.llm_split_max_tokens
        )
        return await splitter.plan(
            understood, vocab, budget=budget, max_chars=deps.settings.max_query_chars
        )
    return await deps.planner.plan(understood, vocab, history=history, budget=budget)


async def _ask_llm(
    deps: Deps, understood: Understanding, history: list[str], budget: Budget, task: str
) -> tuple[Plan | None, str]:
    """The LLM's grounded plan, or None and why not; the gate hears how the call went."""
    assert deps.planner is not None and deps.gate is not None
    gate = deps.gate
    try:
        async with gate.slot():
            async with asyncio.timeout(budget.remaining_s() + 0.5):
                plan = await _llm_plan(deps, understood, history, budget, task)
    except LLMBusy as exc:
        return None, f"LLM skipped: {exc}"
    except TimeoutError:
        gate.failed()
        return None, "LLM planner gave no answer in time"
    except Exception as exc:  # noqa: BLE001 - any planner failure falls back
        outcomes = {r.outcome for r in budget.records}
        if outcomes & {"timeout", "error"} and "ok" not in outcomes:
            gate.failed()
        elif "ok" in outcomes or "invalid" in outcomes:
            gate.succeeded()
        text = str(exc)
        why = text if text.startswith("LLM planner") else f"LLM planner failed: {text}"
        return None, why[:200]
    gate.succeeded()
    return plan, "multi-intent" if len(plan.subqueries) > 1 else "planned"
