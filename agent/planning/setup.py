"""Connect the LLM planner at the edge: find a server (or start the local one), or say why not."""

from __future__ import annotations

from dataclasses import dataclass

from agent.llm.client import LLMClient, LLMError
from agent.llm.server import find_or_start
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings

HOW_TO = "start one with `tessera llm serve` or set TESSERA_LLM_BASE_URL"


@dataclass(frozen=True)
class AttachedPlanner:
    """The planner and its client when an LLM answers, and the note the trace shows."""

    note: str
    client: LLMClient | None = None
    planner: LLMPlanner | None = None


async def connect_llm_planner(settings: Settings, *, start: bool) -> AttachedPlanner:
    """An LLM planner when an LLM answers; otherwise why the rules plan. The caller closes it."""
    try:
        base_url = await find_or_start(settings, start=start)
    except LLMError as exc:
        return AttachedPlanner(f"rule planner: the LLM could not start ({exc}); {HOW_TO}")
    if base_url is None:
        return AttachedPlanner(f"rule planner: no LLM is running; {HOW_TO}")
    client = LLMClient(settings, base_url=base_url)
    return AttachedPlanner(f"llm:{client.model} at {base_url}", client, LLMPlanner(client))
