"""Aspects of a broad intent: the LLM proposes short concrete searches per vertical.

"burger night" opens into recipes (burgers, fries, coleslaw), things to buy (a
grill, a spatula) and films. One structured call with a compact schema (three
short string lists) and few-shot examples (`prompts/aspects_*.md`) asks for
them. The model's text is data, never instructions: `verify` keeps an aspect
only when it is short, carries no link or instruction-like wording
(`agent.llm.safety.unsafe`), is not the request read back (all its words), and
is not a repeat of one already kept (an aspect that is part of the request,
"burger" for "burger night", is searched: if the request's own module shows
its items, it is merged there); every dropped proposal is returned with its reason for
the trace. Whether an aspect reaches the page is decided later, by the
catalog (`agent/quality/aspect_ground.py`).
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field

from agent.llm.client import Budget, LLMClient
from agent.llm.safety import unsafe, words
from prompts.loader import load_prompt, render
from tools.catalog import Vertical

MAX_PER_LIST = 4
MAX_ASPECT_WORDS = 4
ASPECT_VERTICALS: dict[str, Vertical] = {"ideas": "ideas", "products": "shopping", "films": "video"}
"""Schema field -> vertical the aspect is searched in."""
_FILLER = frozenset("a an the some of for and with to my our your".split())
_KEY = re.compile(r"[^a-z0-9' ]+")


class AspectLists(BaseModel):
    """Short concrete searches for a plan, one list per catalog."""

    model_config = ConfigDict(extra="forbid")

    ideas: list[str] = Field(max_length=MAX_PER_LIST, description="Recipes or dishes to make.")
    products: list[str] = Field(max_length=MAX_PER_LIST, description="Things to buy.")
    films: list[str] = Field(max_length=MAX_PER_LIST, description="Films or videos to watch.")


class Aspect(BaseModel):
    """One verified aspect: its search text and the vertical it is searched in."""

    text: str
    vertical: Vertical


class Proposal(BaseModel):
    """One proposed aspect and what verification made of it."""

    text: str
    vertical: Vertical
    kept: bool
    reason: str = ""


def prompt_version() -> str:
    """A short digest of the aspect prompts: a new prompt does not reuse old expansions."""
    text = load_prompt("aspects_system") + load_prompt("aspects_user")
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def normalise_intent(text: str) -> str:
    """The cache key of an intent: lower case, punctuation and extra spaces gone."""
    return " ".join(_KEY.sub(" ", text.lower()).split())


def _content(text: str) -> frozenset[str]:
    return frozenset(words(text) - _FILLER)


def _without_request(text: str, asked: frozenset[str]) -> str:
    """The aspect without the request's words when it carries all of them and more:
    "father's day cake" for "father's day" is a cake."""
    if not asked or not _content(text) > asked:
        return text
    return " ".join(w for w in text.split() if not words(w) <= asked)


def verify(request: str, lists: AspectLists) -> list[Proposal]:
    """Every proposal, kept or dropped with the reason (a link, instructions, too long,
    the request read back, a repeat)."""
    asked = _content(request)
    seen: set[tuple[str, frozenset[str]]] = set()
    out: list[Proposal] = []
    for field, vertical in ASPECT_VERTICALS.items():
        for raw in getattr(lists, field):
            text = _without_request(" ".join(str(raw).split()).strip(" .,;:-"), asked)
            why = unsafe(text)
            content = _content(text)
            if why is None and len(text.split()) > MAX_ASPECT_WORDS:
                why = "length"
            if why is None and not content:
                why = "no words of its own"
            if why is None and content >= asked:
                why = "repeats the request"
            if why is None and (vertical, content) in seen:
                why = "repeats another aspect"
            if why is None:
                seen.add((vertical, content))
            out.append(
                Proposal(text=text[:80], vertical=vertical, kept=why is None, reason=why or "")
            )
    return out


class AspectOpener:
    """Asks the LLM for a plan's aspects; raises `LLMError` when the call fails."""

    def __init__(self, llm: LLMClient, *, max_tokens: int = 96) -> None:
        self._llm = llm
        self._max_tokens = max_tokens

    @property
    def model(self) -> str:
        """The model and prompt version an expansion is stored under."""
        return f"{self._llm.model}#{prompt_version()}"

    async def open(self, request: str, budget: Budget) -> AspectLists:
        """The model's lists for `request`, not yet verified (`verify`)."""
        return await self._llm.structured(
            system=render("aspects_system"),
            user=render("aspects_user", request=normalise_intent(request)),
            schema=AspectLists,
            budget=budget,
            name="aspects",
            max_tokens=self._max_tokens,
        )
