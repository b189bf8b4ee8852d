"""Human-style relevance judgments for ideas and video (`evals/data/judgments/*.jsonl`).

Each line pairs a request, typed the way people type it, with one catalog item and a
label read off the item itself (title, category or genres, description, ingredients):
2 answers the request, 1 answers part of it, 0 does not. `shares_word` says whether any
content word of the request occurs in the item's title, so a measurement can split the
pairs a word-overlap rule could find from those only meaning can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from evals.topic import words

JUDGMENTS_DIR = Path(__file__).resolve().parent / "data" / "judgments"

STOPWORDS = frozenset(
    """a an the and or of for to in on with without at by from into about as is are be
    it its this that these those some something anything any what whats which who how
    i me my we our you your he she they them his her their can could should would will
    do does did make made making get got want need like just really very so too more
    most best good great nice new one two few lot lots up out over under all no not
    recipe recipes idea ideas movie movies film films flick flicks watch watching show
    shows video videos thing things stuff kind sort way ways type""".split()
)
"""Words that carry no topic (function words and the names of the verticals themselves)."""


class Judgment(BaseModel):
    """One (request, item) pair and how well the item answers the request."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    vertical: Literal["ideas", "video"]
    item_id: str = Field(min_length=1)
    title: str
    label: Literal[0, 1, 2]
    shares_word: bool


def content_words(text: str) -> set[str]:
    """The request's words that carry its topic, stemmed."""
    return {w for w in words(text) if w not in {s for s in words(" ".join(STOPWORDS))}}


def shares_word(query: str, title: str) -> bool:
    """Whether any content word of the request occurs in the title (plural-tolerant)."""
    return bool(content_words(query) & set(words(title)))


def read_judgments(path: Path) -> list[Judgment]:
    """The judgments in one file, one JSON object a line."""
    with path.open(encoding="utf-8") as handle:
        return [Judgment.model_validate_json(line) for line in handle if line.strip()]
