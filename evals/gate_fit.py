"""Fit the relevance gate (`agent/quality/relevance.py`) on pairs judged from the catalog's fields.

Queries are made from the indexed catalog itself: each vertical's facet values
(genres, recipe categories, product categories, brands) and two-word runs from
item titles. Every query is searched in every vertical, so the same words are
answerable in one vertical and usually not in the others. A search is judged relevant
when one of its first three items answers it (`evals.judge`: the query's head word and
its other words, two thirds of them past two, in the item's structured fields, never in
its free description alone).
A logistic model over the gate's retrieval features is fitted on 70% of the
queries (split by query) and its calibration measured on the other 30%; the cosine
that unanswered searches rarely reach (`GateModel.similarity_floor`) is read from the
same 70%.

Run: `python -m evals.gate_fit [--per-vertical N] [--out PATH]`; it prints the
held-out Brier score, expected calibration error and reliability table, and writes
the model the page uses.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re

import numpy as np

from agent.deps import open_index
from agent.quality.relevance import (
    FEATURES,
    GATE_FILE,
    JUDGED,
    GateModel,
    features,
    query_terms,
)
from agent.settings import Settings
from evals.judge import answers
from tools.catalog import VERTICALS
from tools.index import CatalogIndex

THRESHOLD = 0.5
FLOOR_PERCENTILE = 95
"""`GateModel.similarity_floor` is this percentile of the best cosine among the first
items of the fitting searches judged unanswered."""
_WORD = re.compile(r"[a-z0-9]+")


def catalog_queries(index: CatalogIndex, per_vertical: int, rng: random.Random) -> list[str]:
    """Facet values and title fragments of every vertical."""
    vocab = index.facets()
    queries: set[str] = set()
    for table in (vocab.genres, vocab.idea_categories, vocab.categories, vocab.brands):
        common = sorted(table, key=lambda v: -table[v])[: per_vertical // 3]
        queries.update(v.lower() for v in common)
    for vertical in VERTICALS:
        items = [h.item for h in index.search(vertical, "", None, k=index.count(vertical))]
        for item in rng.sample(items, min(per_vertical, len(items))):
            words = [w for w in _WORD.findall(item.title.lower()) if query_terms(w)]
            if words:
                start = rng.randrange(len(words))
                queries.add(" ".join(words[start : start + rng.choice((1, 2, 3))]))
                other = rng.choice(items)
                extra = [w for w in _WORD.findall(other.title.lower()) if query_terms(w)]
                if extra and rng.random() < 0.6:
                    mixed = [rng.choice(words), *rng.sample(extra, min(len(extra), 2))]
                    queries.add(" ".join(mixed[: rng.choice((2, 3))]))
    return sorted(q for q in queries if query_terms(q))


def build_pairs(
    index: CatalogIndex, queries: list[str], settings: Settings
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, labels and the query of every (query, vertical) search's first items."""
    rows: list[list[float]] = []
    labels: list[float] = []
    owners: list[str] = []
    for query in queries:
        for vertical in VERTICALS:
            hits = index.search(
                vertical, query, None, k=5, candidates=settings.candidates, rrf_k=settings.rrf_k
            )
            values = features(query, hits)
            if values is None or not hits:
                continue
            rows.append(values)
            labels.append(float(any(answers(query, h.item) for h in hits[:JUDGED])))
            owners.append(query)
    return np.array(rows), np.array(labels), owners


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
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


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[str]]:
    """Expected calibration error and one line per non-empty probability bin."""
    edges = np.linspace(0, 1, bins + 1)
    ece, lines = 0.0, []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = (p >= low) & (p < high if high < 1 else p <= high)
        if mask.any():
            gap = abs(p[mask].mean() - y[mask].mean())
            ece += mask.mean() * gap
            lines.append(
                f"  p in [{low:.1f}, {high:.1f}): n={int(mask.sum()):4d} "
                f"mean p={p[mask].mean():.3f} relevant={y[mask].mean():.3f}"
            )
    return float(ece), lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-vertical", type=int, default=150)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default=str(GATE_FILE))
    args = parser.parse_args(argv)
    settings = Settings()
    index = open_index(settings)
    try:
        queries = catalog_queries(index, args.per_vertical, random.Random(args.seed))
        x, y, owners = build_pairs(index, queries, settings)
    finally:
        index.close()
    held = np.array([int(hashlib.sha1(q.encode()).hexdigest(), 16) % 10 < 3 for q in owners])
    weights, bias = fit_logistic(x[~held], y[~held])
    model = GateModel(features=list(FEATURES), weights=[], bias=bias, threshold=THRESHOLD)
    model.weights = [round(float(w), 4) for w in weights]
    best = x[~held][:, FEATURES.index("similarity_best")]
    unanswered = best[y[~held] == 0]
    if unanswered.size:
        model.similarity_floor = round(float(np.percentile(unanswered, FLOOR_PERCENTILE)), 4)
    model.bias = round(bias, 4)
    p = np.array([model.probability(row) for row in x[held]])
    ece, lines = reliability(p, y[held])
    shown = p >= THRESHOLD
    model.calibration = {
        "pairs_fit": float((~held).sum()),
        "pairs_held_out": float(held.sum()),
        "base_rate": round(float(y.mean()), 4),
        "brier": round(float(np.mean((p - y[held]) ** 2)), 4),
        "ece": round(ece, 4),
        "precision_shown": round(float(y[held][shown].mean()) if shown.any() else 0.0, 4),
        "recall_shown": round(float(shown[y[held] == 1].mean()) if (y[held] == 1).any() else 0, 4),
    }
    model.meaning = (
        f"a module is shown when the estimated probability that one of its first {JUDGED} "
        "items is relevant (carries the sub-query's head word and its other content words "
        "in its own fields) is at least "
        f"{THRESHOLD}; on held-out catalog queries "
        f"{model.calibration['precision_shown']:.0%} of shown modules were "
        "relevant"
    )
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(model.model_dump_json(indent=2) + "\n")
    print(f"{len(queries)} queries, {len(y)} pairs ({int(held.sum())} held out)")
    print("weights", dict(zip(FEATURES, model.weights, strict=True)), "bias", model.bias)
    print("held-out", model.calibration)
    print(f"similarity floor (p{FLOOR_PERCENTILE} of unanswered searches)", model.similarity_floor)
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
