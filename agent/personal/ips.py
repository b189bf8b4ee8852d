"""Candidate module rankers replayed against logged pages (IPS / SNIPS), for `tessera ips`.

Candidates, each a function of a logged impression:

- `logging`: the logging policy itself (ranked order, perturbed with the logged
  epsilon); its estimate is the observed engagement rate, a sanity check.
- `by-score`: modules by the score the ranker gave them, without exploration.
- `vertical-prior`: modules by their vertical's engagement rate over the logs (ties by
  score). The rates are fitted on the same logs they are scored on, so read its
  estimate as optimistic.
- `current`: the hand-set module weights replayed on each module's logged signals.
- `learned`: the weights `tessera rank train-modules` saved, replayed the same way
  (the hand-set ones when none are saved). Pages logged without signals count as
  unmatched for both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel

from agent.personal.exploration import (
    Estimator,
    IPSEstimate,
    Policy,
    Ranker,
    Target,
    compare,
    logging_policy,
)
from agent.personal.module_ranker import ModuleWeights, ranker
from tools.impressions import Impression, LoggedPage

Candidate = Ranker | Policy
CANDIDATES = ("logging", "by-score", "vertical-prior", "current", "learned")


class CandidateEstimate(BaseModel):
    """One candidate's estimated engagement on the logged traffic."""

    name: str
    estimate: IPSEstimate


def by_score(impression: Impression) -> list[str]:
    """Modules by the logged ranker's score, ties in ranked order."""
    position = {m: n for n, m in enumerate(impression.ranked)}
    modules = sorted(impression.modules, key=lambda m: (-m.score, position[m.module_id]))
    return [m.module_id for m in modules]


def vertical_rates(logs: Sequence[LoggedPage]) -> dict[str, float]:
    """Engaged share of shown modules per vertical (add-one smoothed)."""
    shown: dict[str, int] = {}
    engaged: dict[str, int] = {}
    for page in logs:
        for module in page.impression.modules:
            shown[module.vertical] = shown.get(module.vertical, 0) + 1
            if module.module_id in page.clicked:
                engaged[module.vertical] = engaged.get(module.vertical, 0) + 1
    return {v: (engaged.get(v, 0) + 1) / (n + 2) for v, n in shown.items()}


def vertical_prior(logs: Sequence[LoggedPage]) -> Ranker:
    """A ranker ordering modules by their vertical's engagement rate in `logs`."""
    rates = vertical_rates(logs)

    def ranker(impression: Impression) -> list[str]:
        position = {m: n for n, m in enumerate(impression.ranked)}
        modules = sorted(
            impression.modules,
            key=lambda m: (-rates.get(m.vertical, 0.0), -m.score, position[m.module_id]),
        )
        return [m.module_id for m in modules]

    return ranker


def _replay(weights: ModuleWeights) -> Ranker:
    """`ranker(weights)`, keeping the logged order of pages logged without signals (so
    they match only where the logging policy showed its own order)."""
    replay = ranker(weights)

    def order(impression: Impression) -> list[str]:
        if all(m.signals for m in impression.modules):
            return list(replay(impression))
        return list(impression.ranked)

    return order


def candidates(
    logs: Sequence[LoggedPage], learned: ModuleWeights | None = None
) -> dict[str, Candidate]:
    """Every candidate by name."""
    factories: dict[str, Callable[[], Candidate]] = {
        "logging": lambda: logging_policy,
        "by-score": lambda: by_score,
        "vertical-prior": lambda: vertical_prior(logs),
        "current": lambda: _replay(ModuleWeights()),
        "learned": lambda: _replay(learned or ModuleWeights()),
    }
    return {name: factories[name]() for name in CANDIDATES}


def evaluate(
    logs: Sequence[LoggedPage],
    names: Sequence[str] = (),
    *,
    estimator: Estimator = "snips",
    target: Target = "slots",
    clip: float | None = 50.0,
    learned: ModuleWeights | None = None,
) -> list[CandidateEstimate]:
    """Estimates of the named candidates (all by default), best first."""
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        raise ValueError(f"unknown candidate(s) {unknown}; choose from {', '.join(CANDIDATES)}")
    chosen = {n: c for n, c in candidates(logs, learned).items() if not names or n in names}
    scored = compare(chosen, logs, estimator=estimator, target=target, clip=clip)
    return [CandidateEstimate(name=name, estimate=est) for name, est in scored]
