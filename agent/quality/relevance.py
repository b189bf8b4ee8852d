"""The relevance gate: how likely a module's first items hold one relevant to its sub-query.

A module is shown only when that probability reaches the gate's threshold;
otherwise the relaxation ladder (`agent/nodes/assess.py`) tries looser searches, and the
page abstains only when nothing in the catalog is near in meaning.

Relevance is judged by meaning. Each item gets a probability from a logistic model whose
first feature is the cosine of the item's stored MiniLM vector to the sub-query's
embedding (`Hit.similarity`), with the vertical as indicators (films and recipes sit at
other cosines than products), and whose lexical features only add evidence: the share
of the query's words in the item's title and in all its indexed text, its head word
there, and a typo-tolerant share ('cofee' meets 'coffee'). The module's probability is
that of its most likely item among the first `JUDGED`. The model is fitted by
`python -m evals.gate_fit` on judgments made by people: shoppers' graded Home Depot
judgments for products, and (query, item) judgments written by reading ideas and films
(`evals/data/judgments/`); its weights, threshold and held-out calibration per vertical
live in `agent/quality/relevance_gate.json`. A sub-query with no words of its own (only
filters: "comedies from the 1990s") is relevant by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from agent.quality.words import (
    STOPWORDS,
    head_word,
    item_terms,
    near_cover,
    query_terms,
    query_words,
    stem,
)
from tools.contract import Hit

__all__ = [
    "FEATURES", "GATE_FILE", "JUDGED", "GateModel", "features", "head_word", "item_features",
    "item_terms", "lexical_relevance", "load_gate", "query_terms", "query_words", "relevance",
    "signals", "stem",
]  # fmt: skip

GATE_FILE = Path(__file__).resolve().parent / "relevance_gate.json"
BASE = (
    "similarity",
    "cover_title",
    "cover_text",
    "head_title",
    "head_text",
    "near_cover",
    "title_is_query",
)
"""Per (sub-query, item): meaning first, then lexical evidence; `title_is_query` is a
request that names the item ("the matrix", "tarte tatin"): people look titles up, and
a title that shares words with a request without being it is weak evidence."""
OWN = ("ideas", "video")
"""Verticals with their own offset and weights (shared weights plus these, so a
vertical with few judgments leans on the others)."""
FEATURES = (*BASE, *OWN, *(f"{v}:{b}" for v in OWN for b in BASE))
UNKNOWN_SIMILARITY = 0.3
"""The cosine assumed for one hit whose vector was not read among others that were: an
unremarkable one. When none of the first items' vectors was read, `lexical_relevance`
judges instead."""
JUDGED = 3
"""The gate judges whether any of a module's first `JUDGED` items is relevant."""


class GateModel(BaseModel):
    """A fitted logistic item model: p(relevant | query, item) = sigmoid(bias + w . x)."""

    features: list[str] = Field(default_factory=lambda: list(FEATURES))
    weights: list[float]
    bias: float
    threshold: float = Field(description="Show a module when p >= threshold.")
    meaning: str = Field(default="", description="What the threshold means, in words.")
    similarity_floor: float = Field(
        default=0.5,
        description="The highest of `floors`: a cosine near in meaning in every vertical.",
    )
    floors: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Per vertical, the cosine at which an item sharing no word with the query "
            "reaches the threshold: items this close are near in meaning."
        ),
    )
    calibration: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Held out by query, per vertical: pairs, base rate, Brier, ECE, P/R.",
    )

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def floor(self, vertical: str) -> float:
        """The cosine near in meaning for `vertical` (`floors`, else `similarity_floor`)."""
        return self.floors.get(vertical, self.similarity_floor)


@lru_cache(maxsize=1)
def load_gate(path: Path = GATE_FILE) -> GateModel:
    """The shipped gate model."""
    return GateModel.model_validate_json(path.read_text(encoding="utf-8"))


def signals(
    terms: set[str],
    head: str | None,
    title: set[str],
    text: set[str],
    similarity: float,
    vertical: str,
) -> list[float]:
    """The features of one (query, item) pair from its words and its cosine."""
    n = len(terms) or 1
    base = [
        similarity,
        len(terms & title) / n,
        len(terms & text) / n,
        float(head in title),
        float(head in text),
        near_cover(terms, text | title),
        float(bool(terms) and terms == {w for w in title if w not in STOPWORDS}),
    ]
    own = [float(vertical == v) for v in OWN]
    return base + own + [x * flag for flag in own for x in base]


def item_features(text: str, hit: Hit) -> list[float] | None:
    """The features of one hit for `text`; None when the query has no words."""
    terms = query_terms(text)
    if not terms:
        return None
    title, full = item_terms(hit.item)
    cosine = UNKNOWN_SIMILARITY if hit.similarity is None else hit.similarity
    return signals(terms, head_word(text), title, full, cosine, hit.item.vertical)


def features(text: str, hits: Sequence[Hit]) -> list[list[float]] | None:
    """The features of the first `JUDGED` hits; None when the query has no words."""
    if not query_terms(text):
        return None
    return [row for hit in hits[:JUDGED] if (row := item_features(text, hit)) is not None]


def relevance(text: str, hits: Sequence[Hit], gate: GateModel | None = None) -> float:
    """Estimated probability that one of the first `JUDGED` items is relevant to `text`:
    that of the most likely one (1.0 for a query with no words and some hits)."""
    rows = features(text, hits)
    if rows is None:
        return 1.0 if hits else 0.0
    if hits and all(h.similarity is None for h in hits[:JUDGED]):
        return lexical_relevance(text, hits)
    model = gate or load_gate()
    return max((model.probability(row) for row in rows), default=0.0)


def lexical_relevance(text: str, hits: Sequence[Hit]) -> float:
    """The judgment left when no first item's vector could be read (a damaged vertical is
    searched by its words alone): the largest share of the query's words an item's
    indexed text holds, counted only when its title carries the head word."""
    terms, head = query_terms(text), head_word(text)
    best = 0.0
    for hit in hits[:JUDGED]:
        title, full = item_terms(hit.item)
        if head in title:
            best = max(best, len(terms & full) / (len(terms) or 1))
    return best
