"""Settings for broad intents, a section of `Settings` (env names `TESSERA_EXPLORE_*`).

How long a page waits for the LLM's aspects of a plan ("burger night"), how many tokens
the call may use, and how close to the request an aspect's or a catalog group's items
must be. `Settings` inherits these fields and is still the one object read from the
environment.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

Cosine = Annotated[float, Field(ge=-1, le=1)]


class ExploreFields(BaseModel):
    """Deadline, token cap and closeness floors of the exploratory path."""

    explore_deadline_s: float = Field(
        default=6.0,
        gt=0,
        description="How long a page waits for the aspects of a broad intent (burger night) "
        "before it is returned with what has arrived; the trace says what was cut.",
    )
    explore_max_tokens: int = Field(
        default=96, ge=16, description="Tokens the aspect call may generate (about 35-60 used)."
    )
    explore_similarity: float = Field(
        default=0.0,
        ge=-1,
        le=1,
        description="Cosine between a request and an aspect's first items below which the "
        "aspect is not shown: unrelated to the request. MiniLM puts good aspects anywhere "
        "from 0.02 (a mouse for a home office) to 0.4, so this only drops the opposed; the "
        "relevance gate has already judged the items against the aspect.",
    )
    explore_aspect_similarity: dict[str, Cosine] = Field(
        default={"ideas": 0.40, "shopping": 0.52, "video": 0.55},
        description="Per vertical, the mean cosine between an aspect and its first items' "
        "stored vectors below which the aspect is weak: shown only on a page that would "
        "otherwise hold fewer than two aspects (below the lowest floor, never). Read by "
        "eye on the aspects the common intents (agent/planning/common_intents.txt) kept "
        "at one floor of 0.4: product titles are short specs that share a word with "
        "anything, so stand-ins sit high there (door plates 0.40, rubber bands 0.47 for "
        "'exercise band', water bottles 0.49 for 'mojito glass', a letter opener 0.52 for "
        "'bottle opener'; a reading lamp at 0.49 goes with them), while good recipes sit "
        "from 0.43 (curry, radishes), and films named by a word of the aspect ('promotion "
        "films', 'movie posters') at 0.52-0.53. A vertical not listed uses the lowest.",
    )
    explore_aspect_close: float = Field(
        default=0.5,
        ge=-1,
        le=1,
        description="Mean cosine to the aspect at which its items count as about it even when "
        "the relevance gate, fitted on searches by words, doubts them (films about beaches "
        "for 'beach movies', pumpkin bread for 'pumpkin cake').",
    )
    explore_group_similarity: float = Field(
        default=0.3,
        ge=-1,
        le=1,
        description="Without the LLM: the cosine to the request an item needs to join one of "
        "the catalog groups shown for a broad request.",
    )
