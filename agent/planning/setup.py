"""Connect the LLM planner at the edge: find a server (or start the local one), or say why not."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass

from agent.llm.client import Budget, LLMClient, LLMError
from agent.llm.install_state import pending_for
from agent.llm.model_file import (
    PROJECT_ROOT,
    SPECS,
    ModelUnavailable,
    model_status,
    size_for_model,
)
from agent.llm.server import find_or_start
from agent.planning.llm_planner import LLMPlanner
from agent.settings import Settings
from prompts.loader import render

log = logging.getLogger(__name__)
WARM_TOKENS = 8
"""Enough generated tokens that the server's decoding path, not only its prompt path, is warm."""
HOW_TO = "start one with `tessera llm serve` or set TESSERA_LLM_BASE_URL"


@dataclass(frozen=True)
class AttachedPlanner:
    """The planner and its client when an LLM answers, and the note the trace shows."""

    note: str
    client: LLMClient | None = None
    planner: LLMPlanner | None = None


def may_autostart(settings: Settings) -> bool:
    """Auto mode starts the local server itself only when its model is assembled (or being
    installed by set-up's background job) and no endpoint of the user's own is configured."""
    if settings.planner != "auto" or not settings.llm_autostart or settings.llm_base_url:
        return False
    size = size_for_model(settings.llm_model)
    return model_status(settings, size).assembled or pending_for(settings, size)


def prestart(settings: Settings) -> str | None:
    """Start the local server, warmed, from a detached process, so that its loading and
    first prompt overlap a long command (indexing) instead of the first search. Only where
    auto mode would start it anyway; returns the line to show, or None when it does not
    apply. The server is the shared one later commands use (`tessera llm stop` stops it)."""
    if not may_autostart(settings):
        return None
    log_path = settings.root / "logs" / "llm_prestart.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "agent.planning.prestart"],
            cwd=PROJECT_ROOT,
            env=os.environ | {"TESSERA_HOME": str(settings.root)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    alias = SPECS[size_for_model(settings.llm_model)].alias
    return (
        f"starting the local LLM ({alias}) in the background for the first search "
        f"(log: {log_path}); `tessera llm stop` stops it"
    )


async def connect_llm_planner(settings: Settings, *, start: bool) -> AttachedPlanner:
    """An LLM planner when an LLM answers; otherwise why the rules plan. The caller closes it."""

    async def warm(base_url: str) -> None:
        client = LLMClient(settings, base_url=base_url)
        try:
            await warm_up(client, settings)
        finally:
            await client.aclose()

    try:
        base_url = await find_or_start(settings, start=start, on_start=warm)
    except LLMError as exc:
        if isinstance(exc, ModelUnavailable) and start:
            print(f"the local LLM is not ready: {exc}; planning without it", file=sys.stderr)
        return AttachedPlanner(f"rule planner: the LLM could not start ({exc}); {HOW_TO}")
    if base_url is None:
        where = settings.llm_base_url
        why = f"{where} does not answer" if where else "no LLM is running"
        return AttachedPlanner(f"rule planner: {why}; {HOW_TO}")
    client = LLMClient(settings, base_url=base_url)
    planner = LLMPlanner(client, max_tokens=settings.llm_plan_max_tokens)
    return AttachedPlanner(f"llm:{client.model} at {base_url}", client, planner)


async def warm_up(client: LLMClient, settings: Settings, prompt: str = "split") -> bool:
    """One short call on a server just started, so the first request meets a warm server
    instead of spending its plan budget there: the weights are paged in, and the prompt cache
    holds `prompt`'s fixed part (the clause splitter's system message and worked examples by
    default, what auto mode sends first; "aspects" for the plan opener's) up to the request
    itself. False (logged) when the server does not oblige."""
    budget = Budget.start(max_calls=1, seconds=settings.llm_timeout_s)
    try:
        await client.text(
            system=render(f"{prompt}_system"),
            user=render(f"{prompt}_user", request="soup"),
            budget=budget,
            name="warm",
            max_tokens=WARM_TOKENS,
        )
    except LLMError as exc:
        log.warning("the LLM warm-up failed: %s", exc)
        return False
    return True
