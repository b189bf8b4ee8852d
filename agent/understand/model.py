"""What the `understand` step found in a request, before any planning."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.models import Spelling
from tools.catalog import Vertical
from tools.filters import Filters


class Segment(BaseModel):
    """One intent in the request: its text, its vertical cue and its own filters."""

    text: str = Field(description="The clause with filter phrases kept, e.g. 'rattan headboard'.")
    topic: str = Field(description="The clause with filter phrases removed: the search text.")
    vertical: Vertical | None = Field(default=None, description="Vertical cue, if any.")
    filters: Filters = Field(default_factory=Filters)
    cues: list[str] = Field(default_factory=list, description="Words that set the vertical.")


class Refinement(BaseModel):
    """A follow-up turn that adjusts the previous one ("cheaper", "only in blue")."""

    kind: str = Field(description="cheaper, pricier, shorter, vertical, filter, new")
    vertical: Vertical | None = None
    filters: Filters = Field(default_factory=Filters)


class Understanding(BaseModel):
    """Signals read from the request by rule taggers grounded in the catalog's facets."""

    text: str = Field(description="Normalised request text, spelling corrected.")
    spelling: Spelling | None = Field(
        default=None, description="Set when correction changed the request's words."
    )
    segments: list[Segment] = Field(default_factory=list)
    filters: Filters = Field(default_factory=Filters, description="Union of segment filters.")
    verticals: list[Vertical] = Field(default_factory=list, description="Verticals cued.")
    refinement: Refinement | None = None
    non_english: bool = False
    truncated: bool = False
    confident: bool = Field(
        default=False, description="True when one clear intent was found: an LLM may be skipped."
    )
