"""Expansions stored ahead of time for common broad intents, so a head request never waits.

`tessera explore precompute [FILE]` reads intents (one a line, '#' comments; by default
the shipped list `common_intents.txt`, plans people commonly bring to this catalog) and
asks the LLM for each one not yet stored under the current model and prompt version,
with the call's own timeout rather than a page's deadline. What it stores is what a live
request would have stored (`agent.planning.expand.proposals`): the same key (normalised
intent, model, prompt version), the same store shared by every worker (SQLite under
TESSERA_HOME or PostgreSQL), verified on every use. Any other intent is still opened
live.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from agent.planning.aspects import normalise_intent
from agent.planning.expand import proposals

if TYPE_CHECKING:
    from agent.deps import Deps

COMMON_INTENTS = Path(__file__).resolve().parent / "common_intents.txt"


class Precomputed(BaseModel):
    """What became of one intent: stored now, stored already, or why not."""

    intent: str
    outcome: Literal["stored", "already stored", "failed"]
    kept: int = 0
    detail: str = ""


def read_intents(path: Path) -> list[str]:
    """The file's intents, normalised, blank lines, comments and repeats left out."""
    out: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = normalise_intent(line.split("#", 1)[0])
        if text:
            out[text] = None
    return list(out)


async def precompute(deps: Deps, intents: Iterable[str], seconds: float) -> list[Precomputed]:
    """Store the expansion of every intent not stored yet, one LLM call each."""
    results: list[Precomputed] = []
    for intent in intents:
        found, source, _ = await proposals(deps, intent, seconds)
        if found is None:
            results.append(Precomputed(intent=intent, outcome="failed", detail=source))
            continue
        kept = sum(p.kept for p in found)
        outcome = "already stored" if source.endswith("(stored expansion)") else "stored"
        results.append(Precomputed(intent=intent, outcome=outcome, kept=kept, detail=source))
    return results
