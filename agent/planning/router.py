"""The distilled router: a linear classifier over the query embeddings the index computes.

Four logistic heads over the L2-normalised MiniLM vector of a text: one per
vertical (ideas, shopping, video: does the text ask for it?) and one for
multi-intent (does it ask for more than one vertical?). The weights are a
small `.npz` file shipped beside this module and rebuilt by
`scripts/train_router.py` from real shopper queries, catalog-attribute
templates and their combinations. The router reads each of the reader's
segments, so a clause routes where its words point even without a cue word,
and it says when a request needs the LLM (a multi-intent text the reader did
not split, or a clause it cannot place).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from tools.catalog import VERTICALS, Vertical
from tools.embeddings import Embedder

WEIGHTS_PATH = Path(__file__).with_name("router.npz")
HEADS: tuple[str, ...] = (*VERTICALS, "multi")
CONFIDENT = 0.8
"""A segment is placed without the LLM when its best vertical scores at least this."""


def held_out(text: str, share: int = 5) -> bool:
    """True for the texts (one in `share`, by a hash of the text) the router never trains on."""
    digest = hashlib.sha1(" ".join(text.lower().split()).encode()).digest()
    return digest[0] % share == 0


class Routing(BaseModel):
    """What the router read from one text."""

    scores: dict[str, float] = Field(description="Probability per vertical.")
    multi: float = Field(description="Probability that the text asks for several verticals.")

    @property
    def best(self) -> Vertical:
        return max(VERTICALS, key=lambda v: self.scores[v])

    @property
    def confident(self) -> bool:
        return self.scores[self.best] >= CONFIDENT

    def verticals(self, threshold: float = 0.5) -> list[Vertical]:
        """The verticals asked for: those over `threshold`, else the best one."""
        chosen = [v for v in VERTICALS if self.scores[v] >= threshold]
        return chosen or [self.best]

    def describe(self) -> str:
        parts = ", ".join(f"{v} {self.scores[v]:.2f}" for v in VERTICALS)
        return f"{parts}; multi {self.multi:.2f}"


@dataclass(frozen=True)
class RouterWeights:
    """One logistic head per row of `weights` (len(HEADS) x dim) plus `bias`."""

    weights: np.ndarray
    bias: np.ndarray

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, weights=self.weights.astype(np.float16), bias=self.bias.astype(np.float32)
        )

    @classmethod
    def load(cls, path: Path) -> RouterWeights:
        with np.load(path) as data:
            weights = data["weights"].astype(np.float32)
            bias = data["bias"].astype(np.float32)
        if weights.shape[0] != len(HEADS) or bias.shape != (len(HEADS),):
            raise ValueError(f"{path} holds {weights.shape[0]} heads, not {len(HEADS)}")
        return cls(weights, bias)

    def predict(self, vectors: np.ndarray) -> np.ndarray:
        """Head probabilities, one row per input vector."""
        logits = np.atleast_2d(vectors).astype(np.float32) @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-logits))


def fit(
    vectors: np.ndarray,
    labels: np.ndarray,
    *,
    l2: float = 1e-4,
    epochs: int = 1000,
    lr: float = 2.0,
    sample_weight: np.ndarray | None = None,
) -> RouterWeights:
    """Independent logistic heads by full-batch gradient descent (labels: n x len(HEADS))."""
    n, dim = vectors.shape
    x = vectors.astype(np.float32)
    y = labels.astype(np.float32)
    w = np.zeros((y.shape[1], dim), dtype=np.float32)
    b = np.zeros(y.shape[1], dtype=np.float32)
    sw = (np.ones(n) if sample_weight is None else sample_weight).astype(np.float32)[:, None]
    sw = sw / sw.mean()
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-(x @ w.T + b)))
        g = (p - y) * sw / n
        w -= lr * (g.T @ x + l2 * w)
        b -= lr * g.sum(axis=0)
    return RouterWeights(w, b)


class Router:
    """Routes texts with shipped weights and the index's own query embedder."""

    def __init__(self, weights: RouterWeights, embedder: Embedder) -> None:
        self._weights = weights
        self._embedder = embedder

    @classmethod
    def load(cls, embedder: Embedder, path: Path = WEIGHTS_PATH) -> Router | None:
        """The router, or None when its weights are missing or do not fit the embedder."""
        if not path.is_file():
            return None
        try:
            weights = RouterWeights.load(path)
        except (OSError, ValueError, KeyError):
            return None
        if weights.weights.shape[1] != embedder.dim:
            return None
        return cls(weights, embedder)

    def route(self, text: str) -> Routing:
        """Per-vertical and multi-intent probabilities for `text`."""
        probs = self._weights.predict(self._embedder.embed_query(text))[0]
        scores = {v: round(float(p), 3) for v, p in zip(VERTICALS, probs, strict=False)}
        return Routing(scores=scores, multi=round(float(probs[-1]), 3))
