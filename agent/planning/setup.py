"""Connect the LLM planner at the edge: find a server (or start the local one), or say why not."""

from __future__ import annotations

from dataclasses import dataclass

from agent.llm.client import LLMClient, LLMError
from agent.llm.server import find_or_start, model_status, size_for_model
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings

HOW_TO = "start one with `tessera llm serve` or set TESSERA_LLM_BASE_URL"


@dataclass(frozen=True)
class AttachedPlanner:
    """The planner and its client when an LLM answers, and the note the trace shows."""

    note: str
    client: LLMClient | None = None
    planner: LLMPlanner | None = None


def may_autostart(settings: Settings) -> bool:
    """Auto mode starts the local server itself only when its model is already assembled
    and no endpoint of the user's own is configured."""
    if settings.planner != "auto" or not settings.llm_autostart or settings.llm_base_url:
        return False
    return model_status(settings, size_for_model(settings.llm_model)).assembled


async def connect_llm_planner(settings: Settings, *, start: bool) -> AttachedPlanner:
    """An LLM planner when an LLM answers; otherwise why the rules plan. The caller closes it."""
    try:
        base_url = await find_or_start(settings, start=start)
    except LLMError as exc:
        return AttachedPlanner(f"rule planner: the LLM could not start ({exc}); {HOW_TO}")
    if base_url is None:
        where = settings.llm_base_url
        why = f"{where} does not answer" if where else "no LLM is running"
        return AttachedPlanner(f"rule planner: {why}; {HOW_TO}")
    client = LLMClient(settings, base_url=base_url)
    planner = LLMPlanner(client, max_tokens=settings.llm_plan_max_tokens)
    return AttachedPlanner(f"llm:{client.model} at {base_url}", client, planner)
