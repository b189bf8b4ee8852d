"""`python -m agent.planning.prestart`: start the shared local LLM server and warm it, then exit.

Spawned detached by `tessera index` (see `agent.planning.setup.prestart`): it waits for
set-up's background install of the model if that still runs, starts the server as auto
mode would (one instance under the port's lock) and sends the warm-up calls, so the first
search finds the model loaded and both of its prompts cached: the clause splitter's and
the plan opener's (llama.cpp keeps earlier prompts in its host-memory prompt cache, so
the second does not evict the first). Only here, where no one waits, is the second
prompt warmed; a search that starts the server itself warms the splitter's alone. The
server keeps running after this process ends.
"""

from __future__ import annotations

import asyncio
import sys

from agent.planning.setup import connect_llm_planner, warm_up
from agent.settings import Settings

WARM_TIMEOUT_S = 120.0
"""No one waits on this warm-up, and indexing keeps both cores busy meanwhile: it may take
longer than a request's LLM timeout allows (on a loaded machine 256 prompt tokens took 17 s)."""


async def _start(settings: Settings) -> str:
    attached = await connect_llm_planner(settings, start=True)
    if attached.client is not None:
        await warm_up(attached.client, settings, prompt="aspects")
        await attached.client.aclose()
    return attached.note


def main() -> int:
    settings = Settings()
    patient = max(settings.llm_timeout_s, WARM_TIMEOUT_S)
    note = asyncio.run(_start(settings.model_copy(update={"llm_timeout_s": patient})))
    print(note, flush=True)
    return 0 if note.startswith("llm:") else 1


if __name__ == "__main__":
    sys.exit(main())
