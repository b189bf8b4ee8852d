"""The relevance gate: how likely a module's first items hold one relevant to its sub-query.

A module is shown only when that probability reaches the gate's threshold;
otherwise the page abstains and says there are no good matches in this catalog.
The probability comes from a logistic model over retrieval features (how much
of the query the top items cover, in their titles and in their full text, how
many were matched lexically, and how close in meaning the first items are to the
sub-query: the cosine of their stored vectors to its embedding). It is fitted by
`python -m evals.gate_fit` on (query, first three items) judged from the catalog's own
fields (`evals.judge`), and the fitted weights, threshold and their held-out calibration
live in
`agent/quality/relevance_gate.json`. A sub-query with no words of its own (only
filters: "comedies from the 1990s") is relevant by construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from agent.understand.lexicon import GENERIC_WORDS, MEASURES, STOPWORDS
from tools.catalog import CatalogItem
from tools.contract import Hit
from tools.lexical import IRREGULAR_PLURALS
from tools.rows import build_row

GATE_FILE = Path(__file__).resolve().parent / "relevance_gate.json"
FEATURES = (
    "cover_top", "cover_title", "cover_mean", "lexical_share", "head_top", "head_title",
    "cover_best", "head_best", "similarity_top", "similarity_best",
)  # fmt: skip
UNKNOWN_SIMILARITY = 0.5
"""The cosine assumed for a hit whose vector was not read (lexical search, damaged vectors):
a typical answering item's, so the gate then rests on the lexical evidence."""
JUDGED = 3
"""The gate judges whether any of a module's first `JUDGED` items is relevant."""
TOP = 5
_WORD = re.compile(r"[a-z0-9]+")
_OCCASIONS = frozenset(
    "dinner dinners lunch lunches supper meal meals dish dishes snack snacks weeknight "
    "party night something anything make making cook cooking bake baking homemade easy "
    "quick simple".split()
)
_AUDIENCES = frozenset(
    "kid kids child children toddler toddlers teen teens boy boys girl girls man men woman "
    "women adult adults school office work weekend holiday holidays halloween christmas "
    "thanksgiving easter birthday wedding date summer winter gift gifts".split()
)
"""Who or when an item is for, not what it is: a catalog rarely names them, so a
backpack answers 'kids backpack' and a cookie 'halloween cookie'."""
_JUDGEMENTS = frozenset(
    "cheap cheaper cheapest inexpensive affordable budget pricier pricey expensive "
    "premium best better good great top popular favourite favorite nice new newer newest "
    "latest recent old older shorter longer short long".split()
)
"""Words that rank or bound what is asked for (price, quality, age, length): filters
and the ranking answer them, and no item's text carries them."""


class GateModel(BaseModel):
    """A fitted logistic gate: p = sigmoid(bias + weights . features)."""

    features: list[str] = Field(default_factory=lambda: list(FEATURES))
    weights: list[float]
    bias: float
    threshold: float = Field(description="Show a module when p >= threshold.")
    meaning: str = Field(default="", description="What the threshold means, in words.")
    similarity_floor: float = Field(
        default=0.5,
        description=(
            "A best-of-first-items cosine that searches judged unanswered rarely reach "
            "(their 95th percentile when fitted): items this close are near in meaning."
        ),
    )
    calibration: dict[str, float] = Field(
        default_factory=dict, description="Held-out Brier score, ECE, pairs, base rate."
    )

    def probability(self, values: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def load_gate(path: Path = GATE_FILE) -> GateModel:
    """The shipped gate model."""
    return GateModel.model_validate_json(path.read_text(encoding="utf-8"))


def stem(word: str) -> str:
    """A crude stem so 'chairs' and 'chair', 'cookies' and 'cookie', 'berries' and
    'berry', 'mice' and 'mouse' meet."""
    word = IRREGULAR_PLURALS.get(word, word)
    if word.endswith("es") and len(word) > 4 and word[:-2].endswith(("ss", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("ie") and len(word) > 4:
        return word[:-2]
    if word.endswith("y") and len(word) > 3:
        return word[:-1]
    return word


def query_words(text: str) -> list[str]:
    """The stemmed words of a sub-query that must be answered, in order (no stopwords,
    no request words, no occasions or audiences, no bare numbers)."""
    words = [
        stem(w)
        for w in _WORD.findall(MEASURES.sub(" ", text.lower()))
        if w not in STOPWORDS
        and w not in GENERIC_WORDS
        and w not in _OCCASIONS
        and w not in _AUDIENCES
        and w not in _JUDGEMENTS
        and not w.isdigit()
    ]
    return list(dict.fromkeys(words))


def query_terms(text: str) -> set[str]:
    """`query_words` as a set."""
    return set(query_words(text))


def head_word(text: str) -> str | None:
    """The head of the sub-query's noun phrase: its last content word before a
    preposition ('drill' in 'cordless drill', 'perfume' in 'perfume for men')."""
    lowered = text.lower()
    first = re.split(r"\b(?:for|with|about|from|in|on|by|without|under|over)\b", lowered)[0]
    words = query_words(first) or query_words(lowered)
    return words[-1] if words else None


def _terms(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower())}


def item_terms(item: CatalogItem) -> tuple[set[str], set[str]]:
    """(title words, every indexed word) of an item."""
    row = build_row(item)
    return _terms(item.title), _terms(row.embed_text)


def features(text: str, hits: Sequence[Hit]) -> list[float] | None:
    """The gate's features for a sub-query's hits; None when the query has no words."""
    terms = query_terms(text)
    head = head_word(text)
    if not terms:
        return None
    top = list(hits[:TOP])
    if not top:
        return [0.0] * len(FEATURES)
    covers: list[float] = []
    titles: list[float] = []
    heads: list[float] = []
    head_titles: list[float] = []
    for hit in top:
        title, full = item_terms(hit.item)
        covers.append(len(terms & full) / len(terms))
        titles.append(len(terms & title) / len(terms))
        heads.append(float(head in full))
        head_titles.append(float(head in title))
    lexical = sum(h.lexical_rank is not None for h in top) / len(top)
    similarity = [UNKNOWN_SIMILARITY if h.similarity is None else h.similarity for h in top]
    return [covers[0], max(titles[:JUDGED]), sum(covers) / len(covers), lexical, heads[0],
            max(head_titles[:JUDGED]), max(covers[:JUDGED]), max(heads[:JUDGED]),
            similarity[0], max(similarity[:JUDGED])]  # fmt: skip


def relevance(text: str, hits: Sequence[Hit], gate: GateModel | None = None) -> float:
    """Estimated probability that one of the first `JUDGED` items is relevant to `text`
    (1.0 for no words)."""
    values = features(text, hits)
    if values is None:
        return 1.0 if hits else 0.0
    return (gate or load_gate()).probability(values)
