"""Fit the relevance gate (`agent/quality/relevance.py`) on (query, item) pairs judged by people.

Labels (`evals.gate_labels`): Home Depot shoppers' graded judgments for products; for
ideas and films, the judgments in `evals/data/judgments/`, written by reading the items;
for films also the catalog's own genres, asked for in words that need not share one
with them (`evals.gate_facets`). Lexical overlap is only a feature, never the label.

A logistic model over the item features is fitted on 70% of the queries (split by a hash
of the query) and its calibration measured per vertical on the other 30%: Brier score,
expected calibration error, and precision/recall of an item's p >= threshold (the lowest
p reaching `PRECISION` on the fitting split) (held-out figures over people's judgments
only; the sampled far negatives are reported apart). The per-vertical floors (the cosine
at which an item sharing no word with the query reaches the threshold) follow from the
weights.
Run: `python -m evals.gate_fit [--queries N] [--out PATH]`; it prints the held-out
calibration per vertical and writes the model the page uses.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

import numpy as np

from agent.deps import open_index
from agent.quality.relevance import BASE, FEATURES, GATE_FILE, JUDGED, GateModel
from agent.settings import Settings
from evals.beir import datasets_root
from evals.gate_facets import facet_pairs
from evals.gate_labels import Pair, elsewhere_pairs, held_out, home_depot_pairs, judged_pairs
from tools.catalog import VERTICALS

LEXICAL = frozenset(BASE) - {"similarity"}
"""The shared lexical weights, kept at zero or above (`fit_monotone`); a vertical's own
lexical weights may lower them (its judged pairs hold word-sharing misses on purpose)."""
PRECISION = 0.8
"""The threshold is the lowest p at which the fitting split's judged items with p at or
above it are relevant this often: a shown module's likeliest item is right 4 times in 5."""
L2 = 1.0
ELSEWHERE = 60
"""Home Depot queries searched in ideas and films for far negatives (`elsewhere_pairs`)."""
"""Ridge on the weights: the per-vertical ones shrink towards the shared ones."""


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log loss; returns (weights, bias)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        grad = design.T @ (p - y) + l2 * np.r_[beta[:-1], 0]
        hess = design.T @ (design * (p * (1 - p))[:, None]) + l2 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def fit_monotone(x: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[np.ndarray, float]:
    """`fit_logistic` with the lexical weights kept at zero or above (sharing more of
    the query's words never makes an item less likely relevant): a feature whose weight
    comes out negative is fixed at zero and the rest refitted."""
    free = np.ones(len(names), dtype=bool)
    lexical = np.array([n in LEXICAL for n in names])
    while True:
        weights, bias = fit_logistic(x[:, free], y)
        full = np.zeros(len(names))
        full[free] = weights
        wrong = free & lexical & (full < 0)
        if not wrong.any():
            return full, bias
        free &= ~wrong


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width probability bins."""
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (p >= low) & (p < high if high < 1 else p <= high)
        if mask.any():
            ece += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return float(ece)


def calibration(p: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    """Pairs, base rate, Brier, ECE, precision and recall of p >= threshold."""
    shown = p >= threshold
    return {
        "pairs": float(len(y)),
        "base_rate": round(float(y.mean()), 4) if len(y) else 0.0,
        "brier": round(float(np.mean((p - y) ** 2)), 4) if len(y) else 0.0,
        "ece": round(reliability(p, y), 4) if len(y) else 0.0,
        "precision": round(float(y[shown].mean()), 4) if shown.any() else 0.0,
        "recall": round(float(shown[y == 1].mean()), 4) if (y == 1).any() else 0.0,
    }


def threshold_for(p: np.ndarray, y: np.ndarray, precision: float = PRECISION) -> float:
    """The lowest probability whose items at or above it reach `precision`."""
    order = np.argsort(-p)
    hits = np.cumsum(y[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(hits >= precision)[0]
    return round(float(p[order][ok[-1]]), 3) if ok.size else 0.5


def floors(model: GateModel) -> dict[str, float]:
    """Per vertical, the cosine at which an item sharing no word reaches the threshold."""
    w = dict(zip(model.features, model.weights, strict=True))
    logit = math.log(model.threshold / (1 - model.threshold))
    out: dict[str, float] = {}
    for vertical in VERTICALS:
        offset = w.get(vertical, 0.0)
        slope = w["similarity"] + w.get(f"{vertical}:similarity", 0.0)
        if slope > 0:
            out[vertical] = round((logit - model.bias - offset) / slope, 4)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--queries", type=int, default=1500, help="Home Depot queries used")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default=str(GATE_FILE))
    parser.add_argument(
        "--pairs-cache", type=Path, default=None, metavar="FILE",
        help="read the Home Depot pairs from FILE when it exists, else write them there",
    )  # fmt: skip
    args = parser.parse_args(argv)
    settings = Settings()
    index = open_index(settings)
    try:
        folder = datasets_root() / "home_depot_search_relevance" / "beir"
        cache: Path | None = args.pairs_cache
        if cache is not None and cache.exists():
            lines = cache.read_text(encoding="utf-8").splitlines()
            pairs: list[Pair] = [Pair.model_validate_json(line) for line in lines]
        else:
            pairs = home_depot_pairs(folder, index.embedder, args.queries, args.seed)
            if cache is not None:
                cache.write_text("".join(p.model_dump_json() + "\n" for p in pairs), "utf-8")
        pairs += judged_pairs(index, args.seed)
        shoppers = sorted({p.query for p in pairs if p.vertical == "shopping"})
        pairs += elsewhere_pairs(index, random.Random(args.seed).sample(shoppers, ELSEWHERE))
        pairs += facet_pairs(index, args.seed)
    finally:
        index.close()
    x = np.array([p.features for p in pairs])
    y = np.array([p.label for p in pairs])
    held = np.array([held_out(p.query) for p in pairs])
    weights, bias = fit_monotone(x[~held], y[~held], list(FEATURES))
    model = GateModel(
        weights=[round(float(w), 4) for w in weights], bias=round(bias, 4), threshold=0.5
    )
    p = np.array([model.probability(row) for row in x])
    sampled = np.array([pair.sampled for pair in pairs])
    fitting = ~held & ~sampled
    model.threshold = threshold_for(p[fitting], y[fitting])
    model.floors = floors(model)
    model.similarity_floor = max(model.floors.values(), default=0.5)
    vertical = np.array([pair.vertical for pair in pairs])
    for name in (*VERTICALS, "all"):
        mask = held & ~sampled & ((vertical == name) if name != "all" else True)
        if mask.any():
            model.calibration[name] = calibration(p[mask], y[mask], model.threshold)
    far = held & sampled
    if far.any():
        model.calibration["sampled_far_negatives"] = calibration(p[far], y[far], model.threshold)
    model.meaning = (
        f"a module is shown when the estimated probability that one of its first {JUDGED} "
        f"items is relevant (p of its most likely item, by meaning first) is at least "
        f"{model.threshold}, where {PRECISION:.0%} of the fitting split's judged items "
        "were relevant; calibration judged by people, held out by query"
    )
    Path(args.out).write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"{len(pairs)} pairs ({int(held.sum())} held out)")
    print("weights", dict(zip(FEATURES, model.weights, strict=True)), "bias", model.bias)
    print("floors", model.floors)
    for name, figures in model.calibration.items():
        print(f"held-out {name}: {figures}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
