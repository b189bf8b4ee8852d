"""Calibration of ranker scores into probabilities of relevance, and its reliability.

Both maps are fitted on scores the model gave to queries it was not trained on
(held-out folds), so the probabilities describe unseen queries. Platt scaling is a
one-feature logistic regression; isotonic regression is pool-adjacent-violators,
stored as breakpoints and interpolated. Expected calibration error (ECE) is the
count-weighted gap between mean predicted probability and observed rate per bin.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

Method = Literal["isotonic", "platt"]


class Calibrator(BaseModel):
    """A fitted monotone map from raw ranker score to probability of relevance."""

    method: Method
    a: float = 0.0
    b: float = 0.0
    xs: list[float] = Field(default_factory=list)
    ys: list[float] = Field(default_factory=list)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * scores + self.b)))
        if not self.xs:
            return np.zeros_like(scores)
        return np.interp(scores, self.xs, self.ys)


def fit_platt(scores: np.ndarray, labels: np.ndarray, iterations: int = 50) -> Calibrator:
    """Logistic fit p = sigmoid(a * s + b) by Newton's method, with Platt's smoothed targets."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    positives, negatives = y.sum(), len(y) - y.sum()
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a * s + b)))
        w = np.clip(p * (1 - p), 1e-9, None)
        g = np.array([((p - target) * s).sum(), (p - target).sum()])
        h = np.array([[(w * s * s).sum(), (w * s).sum()], [(w * s).sum(), w.sum()]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return Calibrator(method="platt", a=float(a), b=float(b))


def fit_isotonic(scores: np.ndarray, labels: np.ndarray, max_points: int = 512) -> Calibrator:
    """Non-decreasing step fit by pool-adjacent-violators, kept as at most `max_points`."""
    order = np.argsort(scores, kind="stable")
    s = np.asarray(scores, dtype=np.float64)[order]
    y = np.asarray(labels, dtype=np.float64)[order]
    means: list[float] = []
    weights: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    for value, label in zip(s, y, strict=True):
        means.append(label)
        weights.append(1.0)
        lows.append(value)
        highs.append(value)
        while len(means) > 1 and means[-2] >= means[-1]:
            w = weights[-2] + weights[-1]
            m = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
            means[-2:], weights[-2:] = [m], [w]
            lows[-2:], highs[-2:] = [lows[-2]], [highs[-1]]
    xs = [(lo + hi) / 2 for lo, hi in zip(lows, highs, strict=True)]
    if len(xs) > max_points:
        pick = np.linspace(0, len(xs) - 1, max_points).round().astype(int)
        xs, means = [xs[i] for i in pick], [means[i] for i in pick]
    return Calibrator(method="isotonic", xs=[float(x) for x in xs], ys=[float(m) for m in means])


def fit(method: Method, scores: np.ndarray, labels: np.ndarray) -> Calibrator:
    """The calibrator `method` fitted on held-out `scores` and binary `labels`."""
    return fit_isotonic(scores, labels) if method == "isotonic" else fit_platt(scores, labels)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE over `bins` equal-width probability bins (0 is perfectly calibrated)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if p.size == 0:
        return 0.0
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return float(total / p.size)
