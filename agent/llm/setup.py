"""Attach the LLM planner at the edge: find a server (or start the local one), or say why not."""

from __future__ import annotations

from agent.deps import Deps
from agent.llm.client import LLMClient, LLMError
from agent.llm.server import find_or_start
from agent.planning.llm_planner import LLMPlanner

HOW_TO = "start one with `tessera llm serve` or set TESSERA_LLM_BASE_URL"


async def attach_llm_planner(deps: Deps, *, start: bool) -> None:
    """Set `deps.planner` when an LLM answers; otherwise record why the rules plan."""
    settings = deps.settings
    try:
        base_url = await find_or_start(settings, start=start)
    except LLMError as exc:
        deps.planner_note = f"rule planner: the LLM could not start ({exc}); {HOW_TO}"
        return
    if base_url is None:
        deps.planner_note = f"rule planner: no LLM is running; {HOW_TO}"
        return
    client = LLMClient(settings, base_url=base_url)
    deps.planner = LLMPlanner(client)
    deps.llm = client
    deps.planner_note = f"llm:{client.model} at {base_url}"
