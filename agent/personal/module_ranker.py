"""The page's module ranker: weights over module signals, and learning them from logged pages.

A module's page score is a weighted sum of its signals (`SIGNALS`): how sure the plan
is the vertical is wanted (`intent`), how well the top hits are backed (`quality`),
how full the module is (`fill`) and how many constraints were relaxed
(`relaxations`). For a personalised page the score is then blended with the user's
affinity to the module, `(1 - blend) * score + blend * affinity`; both `affinity`
and `blend` are logged with the module so a replay can recompute the live order.

`fit_weights` chooses weights that maximise the self-normalised (SNIPS) or plain
(IPS) estimate of engaged modules per page on logged pages: a seeded random search
around the current weights, then coordinate refinement. The search sees only the
`fit` share of the pages (split by a hash of the page id); the estimate that
matters is on the other, held-out pages, beside the current weights' estimate there.
Two separate estimates carry the noise of every page; their difference is estimated
paired (`paired_gain`): per page, the learned policy's weighted engagements minus the
current one's, which is zero wherever both put every module where the log shows it,
so its interval is the one that says whether the learned weights are better.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agent.personal.exploration import IPSEstimate, Ranker, estimate_ctr
from tools.impressions import Impression, LoggedPage

SIGNALS: tuple[str, ...] = ("intent", "quality", "fill", "relaxations")
"""What `ModuleWeights` weighs, as the rank node computes them."""
WEIGHTS_FILE = "module_ranker.json"


class ModuleWeights(BaseModel):
    """Weights of the module signals; the defaults are the hand-set ones."""

    intent: float = 0.5
    quality: float = 0.35
    fill: float = 0.15
    relaxations: float = -0.05
    source: str = Field(default="hand-set", description="Where the weights came from.")

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in SIGNALS]

    @classmethod
    def of(cls, values: Sequence[float], source: str) -> ModuleWeights:
        return cls(**{n: round(float(v), 4) for n, v in zip(SIGNALS, values, strict=True)},
                   source=source)  # fmt: skip

    def base(self, signals: Mapping[str, float]) -> float:
        """The unpersonalised score (not below zero, as the page shows it)."""
        return max(sum(w * signals.get(n, 0.0) for n, w in zip(SIGNALS, self.vector(),
                                                               strict=True)), 0.0)  # fmt: skip

    def score(self, signals: Mapping[str, float]) -> float:
        """The page score: the base score blended with the logged personal affinity."""
        blend = signals.get("blend", 0.0)
        return (1.0 - blend) * self.base(signals) + blend * signals.get("affinity", 0.0)

    def save(self, path: Path) -> Path:
        path = Path(path).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> ModuleWeights:
        """The weights saved at `path`, or the hand-set ones when there is no file."""
        path = Path(path).expanduser()
        if not path.is_file():
            return cls()
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def ranker(weights: ModuleWeights) -> Ranker:
    """A deterministic module ranker replaying `weights` on a logged impression."""

    def order(impression: Impression) -> list[str]:
        position = {m: n for n, m in enumerate(impression.ranked)}
        modules = sorted(
            impression.modules,
            key=lambda m: (-round(weights.score(m.signals), 4), position[m.module_id]),
        )
        return [m.module_id for m in modules]

    return order


def with_signals(logs: Sequence[LoggedPage]) -> list[LoggedPage]:
    """Pages whose every module carries its signals (older pages logged none)."""
    return [p for p in logs if all(m.signals for m in p.impression.modules)]


def split(logs: Sequence[LoggedPage], held_out: float = 0.5) -> tuple[list, list]:
    """(fit, held-out) pages by a hash of the page id, stable across runs."""
    fit: list[LoggedPage] = []
    rest: list[LoggedPage] = []
    for page in logs:
        digest = hashlib.sha256(page.impression.page_id.encode()).digest()
        (rest if digest[0] / 256 < held_out else fit).append(page)
    return fit, rest


class Gain(BaseModel):
    """The paired IPS estimate of one policy's engaged modules per page minus another's."""

    value: float
    stderr: float
    pages: int
    differing: int = Field(description="Pages on which the two policies' weights differ.")

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% confidence interval."""
        return self.value - 1.96 * self.stderr, self.value + 1.96 * self.stderr


def paired_gain(
    candidate: Ranker, baseline: Ranker, logs: Sequence[LoggedPage], clip: float = 50.0
) -> Gain:
    """IPS of `candidate` minus IPS of `baseline`, page by page on the same logs (slots:
    each module's reward weighted by the policy's chance of putting it where it was shown,
    over the logged chance, clipped at `clip`)."""
    diffs: list[float] = []
    differing = 0
    for page in logs:
        imp = page.impression
        total = 0.0
        for policy, sign in ((candidate, 1.0), (baseline, -1.0)):
            where = {m: n for n, m in enumerate(policy(imp))}
            for m in imp.modules:
                if where.get(m.module_id) == m.position and m.module_id in page.clicked:
                    total += sign * min(1.0 / m.propensity, clip)
        diffs.append(total)
        differing += list(candidate(imp)) != list(baseline(imp))
    n = len(diffs)
    mean = sum(diffs) / n if n else 0.0
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1) if n > 1 else math.inf
    return Gain(value=mean, stderr=math.sqrt(var / n), pages=n, differing=differing)


class Comparison(BaseModel):
    """Estimated engaged modules per page of the learned and the current weights."""

    learned: ModuleWeights
    current: ModuleWeights
    fit_pages: int
    held_out_pages: int
    fit_learned: float
    fit_current: float
    held_out: dict[str, dict[str, IPSEstimate]] = Field(
        description="`{estimator: {'learned' | 'current': estimate}}` on held-out pages."
    )
    gain: Gain = Field(description="Learned minus current on held-out pages, paired IPS.")


Objective = Literal["snips", "ips", "gain-lcb"]
"""What `fit_weights` maximises: an estimator's value, or `gain-lcb`, the lower 95% bound
of the paired gain over the current weights (zero for them: any other weights must beat
them with confidence on the fitted pages to be chosen)."""


def _value(
    w: Sequence[float],
    logs: Sequence[LoggedPage],
    est: Objective,
    clip: float,
    current: ModuleWeights | None = None,
) -> float:
    weights = ModuleWeights.of(w, "search")
    if est == "gain-lcb":
        gain = paired_gain(ranker(weights), ranker(current or ModuleWeights()), logs, clip)
        return gain.interval[0] if gain.differing else 0.0
    return estimate_ctr(ranker(weights), logs, estimator=est, target="slots", clip=clip).value


def fit_weights(
    logs: Sequence[LoggedPage],
    current: ModuleWeights | None = None,
    *,
    estimator: Objective = "snips",
    clip: float = 50.0,
    trials: int = 200,
    seed: int = 13,
) -> tuple[ModuleWeights, float]:
    """Weights maximising the off-policy objective on `logs`, and its value."""
    current = current or ModuleWeights()
    start = current.vector()
    rng = random.Random(seed)
    best, best_value = list(start), _value(start, logs, estimator, clip, current)
    for n in range(trials):
        if n % 2:
            trial = [w + rng.gauss(0.0, 0.2) for w in best]
        else:
            trial = [rng.uniform(-1.0, 1.0) for _ in start]
        value = _value(trial, logs, estimator, clip, current)
        if value > best_value + 1e-9:
            best, best_value = trial, value
    for step in (0.1, 0.03, 0.01):
        improved = True
        while improved:
            improved = False
            for k in range(len(best)):
                for delta in (step, -step):
                    trial = list(best)
                    trial[k] += delta
                    value = _value(trial, logs, estimator, clip, current)
                    if value > best_value + 1e-9:
                        best, best_value, improved = trial, value, True
    return ModuleWeights.of(best, f"{estimator} on {len(logs)} logged pages"), best_value


def train_and_compare(
    logs: Sequence[LoggedPage],
    current: ModuleWeights | None = None,
    *,
    estimator: Objective = "snips",
    clip: float = 50.0,
    held_out: float = 0.5,
    trials: int = 200,
    seed: int = 13,
) -> Comparison:
    """Fit weights on part of the pages and estimate both policies on the rest."""
    current = current or ModuleWeights()
    usable = with_signals(logs)
    fit, rest = split(usable, held_out)
    if not fit or not rest:
        raise ValueError(
            f"{len(usable)} logged page(s) with module signals: too few to fit and hold out"
        )
    learned, fit_value = fit_weights(fit, current, estimator=estimator, clip=clip,
                                     trials=trials, seed=seed)  # fmt: skip
    estimates = {
        est: {
            name: estimate_ctr(ranker(w), rest, estimator=est, target="slots", clip=clip)
            for name, w in (("learned", learned), ("current", current))
        }
        for est in ("ips", "snips")
    }
    return Comparison(
        learned=learned,
        current=current,
        fit_pages=len(fit),
        held_out_pages=len(rest),
        fit_learned=round(fit_value, 4),
        fit_current=round(_value(current.vector(), fit, estimator, clip, current), 4),
        held_out=estimates,  # type: ignore[arg-type]
        gain=paired_gain(ranker(learned), ranker(current), rest, clip),
    )
