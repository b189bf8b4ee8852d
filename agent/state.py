"""Graph state: a narrow input, a wider working state, and the per-tool task.

With a checkpointer the state of a thread persists between turns: `history`
carries earlier turns forward, everything else is reset by `understand`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, field_validator

from agent.models import Module, Page, Plan, SearchRequest, ToolResult
from agent.settings import RequestKind
from agent.trace import ImageTrace, LLMUsage, PersonalisationTrace, TraceStep
from agent.understand.model import Understanding
from tools.contract import Hit, SubQuery

T = TypeVar("T")


def add_or_reset(old: list[T], new: list[T] | None) -> list[T]:
    """Append, or clear when a node returns None (a new turn starts)."""
    if new is None:
        return []
    return [*old, *new]


class Turn(BaseModel):
    """One earlier turn of a conversation, kept to interpret follow-ups."""

    text: str
    plan: Plan
    page_summary: list[str] = Field(default_factory=list, description="Module titles shown.")
    max_price_seen: float | None = None
    kinds: dict[str, str] = Field(
        default_factory=dict,
        description="The catalog category most of a shopping sub-query's items fell in, by "
        "sub-query text ('laptops' -> 'laptop'): what a follow-up on it stays within.",
    )


class InputState(BaseModel):
    """What a caller gives the graph."""

    request: SearchRequest = Field(description="The request of this turn.")


class State(InputState):
    """Everything the nodes read and write during one turn."""

    understood: Understanding | None = Field(default=None, description="Taggers' findings.")
    plan: Plan | None = Field(default=None, description="The routed sub-queries.")
    results: Annotated[list[ToolResult], add_or_reset] = Field(
        default_factory=list, description="One entry per sub-query, appended by tools."
    )
    assessed: list[ToolResult] = Field(
        default_factory=list, description="Results after repair, in plan order."
    )
    modules: list[Module] = Field(default_factory=list, description="Composed, then ranked.")
    suggestions: list[str] = Field(default_factory=list)
    steps: Annotated[list[TraceStep], add_or_reset] = Field(default_factory=list)
    llm_calls: Annotated[list[LLMUsage], add_or_reset] = Field(default_factory=list)
    planner_note: str = Field(default="", description="Which planner ran and why.")
    kind: RequestKind | None = Field(default=None, description="The request's kind, read by plan.")
    page: Page | None = None
    started_at: float = Field(default=0.0, description="Wall-clock start of this turn.")
    overfetch: int = Field(default=1, description="Candidates per shown item (personalised).")
    page_id: str = Field(default="", description="Id of this turn's page, set by `rank`.")
    personalisation: PersonalisationTrace | None = Field(
        default=None, description="What personalisation and exploration did (trace)."
    )
    image_key: str | None = Field(default=None, description="Key of this turn's query image.")
    image_info: ImageTrace | None = Field(default=None, description="Read from it.")
    image_hits: list[Hit] = Field(default_factory=list, description="Visually similar items.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns of the thread.")

    @field_validator("personalisation", "image_info", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """Threads stored by earlier versions hold `{}` for an absent section."""
        return None if value == {} else value


class ToolTask(BaseModel):
    """Input of one fanned-out tool call."""

    subquery: SubQuery
    k: int
