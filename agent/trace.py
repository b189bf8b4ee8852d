"""How a page was made, as the trace shows it: steps, LLM calls, personalisation, the image.

Every section is a typed model; the trace is part of the page's public JSON.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator


class ModuleShift(BaseModel):
    """How personalisation moved one module."""

    module_id: str
    score_before: float
    score_after: float
    score_delta: float
    rank_before: int
    rank_after: int
    rank_delta: int = Field(description="Positive when the module moved up the page.")
    items_moved: int = Field(description="Shown items whose position changed.")
    items_new: int = Field(description="Shown items promoted from beyond the cut.")
    affinity: float = Field(description="Mean calibrated affinity of the shown top items.")


class PersonalisationReport(BaseModel):
    """Whether personalisation applied, how strongly, and what it moved."""

    applied: bool
    reason: str
    weight: float = Field(default=0.0, description="Effective blend weight (weight x strength).")
    strength: float = 0.0
    interests: int = 0
    modules: list[ModuleShift] = Field(default_factory=list)


class ExplorationTrace(BaseModel):
    """Which module order was shown, under which logging policy, and whether it was logged."""

    explored: bool
    propensity: float
    mode: str
    epsilon: float
    ranked: list[str] = Field(description="Module ids in the ranker's order.")
    shown: list[str] = Field(description="Module ids in the order shown.")
    module_propensity: dict[str, float] = Field(default_factory=dict)
    logged: bool = False


class PersonalisationTrace(PersonalisationReport):
    """The personalisation report plus exploration and any part that failed."""

    exploration: ExplorationTrace | None = None
    error: str | None = Field(default=None, description="A part that failed and was skipped.")


class ImageTrace(BaseModel):
    """What was read from a query image, or why it could not be used."""

    labels: list[str] = Field(default_factory=list, description="Top ImageNet labels.")
    text: list[str] = Field(default_factory=list, description="Printed text lines (OCR).")
    caption: str | None = None
    notes: list[str] = Field(default_factory=list, description="What was unavailable or failed.")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    error: str | None = Field(default=None, description="Why the image could not be used.")


class TraceStep(BaseModel):
    """One step of the graph, as shown in the trace and streamed to clients."""

    name: str
    detail: str = ""
    elapsed_ms: float = 0.0
    ok: bool = True


class LLMUsage(BaseModel):
    """One LLM call: what it was for, how long it took, what it cost, how it ended."""

    name: str
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    cached_tokens: int = Field(
        default=0, description="Prompt tokens the server reused from its KV cache (not evaluated)."
    )
    completion_tokens: int = 0
    max_tokens: int = Field(default=0, description="The generation cap the call was sent with.")
    outcome: str = "ok"


class Trace(BaseModel):
    """How the page was made: planner, steps, LLM use and timings."""

    planner: str = "rule"
    steps: list[TraceStep] = Field(default_factory=list)
    llm_calls: int = Field(
        default=0, description="LLM calls made; attempts the budget refused are not calls."
    )
    llm_tokens: int = 0
    llm: list[LLMUsage] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="Sub-queries that found nothing good enough to show."
    )
    cache: dict[str, int] = Field(default_factory=dict)
    personalisation: PersonalisationTrace | None = Field(
        default=None,
        description="Whether and how much a profile moved each module; null when "
        "personalisation is not configured.",
    )
    image: ImageTrace | None = Field(
        default=None, description="What was read from the query image; null without one."
    )
    trace_id: str | None = Field(
        default=None,
        description="The OpenTelemetry trace id of the request (32 hex digits), to find it "
        "in a trace UI; null when no traces are exported.",
    )

    @field_validator("personalisation", "image", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """Pages stored by earlier versions hold `{}` for an absent section."""
        return None if value == {} else value
