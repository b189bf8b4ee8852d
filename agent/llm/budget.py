"""The LLM allowance left for this request, shared by every node that calls the LLM."""

from __future__ import annotations

import time

from agent.llm.client import Budget
from agent.settings import Settings
from agent.state import State
from agent.trace import LLMUsage


def request_budget(settings: Settings, state: State) -> Budget:
    """Calls and seconds not yet spent by earlier nodes of this turn."""
    used = sum(1 for call in state.llm_calls if call.outcome != "budget")
    elapsed = time.time() - state.started_at if state.started_at else 0.0
    return Budget.start(
        max_calls=max(0, settings.llm_max_calls - used),
        seconds=max(0.0, settings.llm_budget_s - elapsed),
    )


def usage(budget: Budget) -> list[LLMUsage]:
    """The budget's call records as trace entries."""
    return [
        LLMUsage(
            name=r.name,
            latency_ms=round(r.latency_ms, 1),
            prompt_tokens=r.prompt_tokens,
            cached_tokens=r.cached_tokens,
            max_tokens=r.max_tokens,
            completion_tokens=r.completion_tokens,
            outcome=r.outcome,
        )
        for r in budget.records
    ]
