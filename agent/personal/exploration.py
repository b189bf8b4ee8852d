"""Exploration over module order, and off-policy estimates of a candidate ranker's CTR.

The logging policy shows the ranker's order with probability `1 - epsilon`; otherwise
it perturbs it, either by swapping one uniformly chosen pair of adjacent modules
(`swap`) or by sampling a Plackett-Luce order over the module scores (`plackett_luce`,
logits `score / temperature`). The full distribution over orders is enumerated (a page
has a handful of modules; beyond `max_enumerate` only the head is perturbed), so the
propensity of the shown order and each module's marginal propensity at its position
are exact. With epsilon 0 the shown order is the ranked one with propensity 1.

`estimate_ctr` replays logged pages against a candidate policy with inverse
propensity scoring (IPS) or its self-normalised form (SNIPS), weights optionally
clipped. Two targets: `page`, the share of pages with any engagement, matching whole
orders; and `slots`, engaged modules per page, matching module-at-position, which is
unbiased when clicks add up over positions (an item-position click model) and needs
far less overlap between the candidate and the logging policy.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.models import Module
from tools.impressions import Impression, LoggedPage, LoggingMode, ModuleImpression

Order = tuple[str, ...]
Estimator = Literal["ips", "snips"]
Target = Literal["page", "slots"]
Distribution = dict[Order, float]
Ranker = Callable[[Impression], Sequence[str]]
"""A deterministic candidate: module ids of the page in the order it would show them."""
Policy = Callable[[Impression], Distribution]
"""A stochastic candidate: probability of each order it may show."""


class ExplorationError(ValueError):
    """A candidate returned something other than an order of the page's modules."""


class ExplorationConfig(BaseModel):
    """How often and how the module order is perturbed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epsilon: float = Field(default=0.1, ge=0, le=1, description="Share of pages perturbed.")
    mode: LoggingMode = "swap"
    temperature: float = Field(default=0.1, gt=0, description="Plackett-Luce temperature.")
    max_enumerate: int = Field(default=6, ge=2, le=8, description="Head perturbed by PL.")


def _plackett_luce(order: Order, logits: dict[str, float]) -> float:
    prob, rest = 1.0, list(order)
    for module in order:
        top = max(logits[m] for m in rest)
        denom = sum(math.exp(logits[m] - top) for m in rest)
        prob *= math.exp(logits[module] - top) / denom
        rest.remove(module)
    return prob


def order_distribution(
    ranked: Sequence[str], scores: Sequence[float], config: ExplorationConfig
) -> Distribution:
    """Every order the logging policy may show, with its probability."""
    base = tuple(ranked)
    n = len(base)
    if n < 2 or config.epsilon == 0 or config.mode == "none":
        return {base: 1.0}
    dist: Distribution = {base: 1.0 - config.epsilon}
    if config.mode == "swap":
        for i in range(n - 1):
            swapped = (*base[:i], base[i + 1], base[i], *base[i + 2 :])
            dist[swapped] = dist.get(swapped, 0.0) + config.epsilon / (n - 1)
        return dist
    head, tail = base[: config.max_enumerate], base[config.max_enumerate :]
    logits = {m: s / config.temperature for m, s in zip(base, scores, strict=True)}
    for perm in itertools.permutations(head):
        order = (*perm, *tail)
        dist[order] = dist.get(order, 0.0) + config.epsilon * _plackett_luce(perm, logits)
    return dist


def marginals(dist: Distribution) -> dict[tuple[str, int], float]:
    """P(module at position) under `dist`."""
    out: dict[tuple[str, int], float] = {}
    for order, prob in dist.items():
        for pos, module in enumerate(order):
            out[(module, pos)] = out.get((module, pos), 0.0) + prob
    return out


def logging_policy(impression: Impression) -> Distribution:
    """The distribution the page's own logging policy drew its order from."""
    by_id = {m.module_id: m.score for m in impression.modules}
    config = ExplorationConfig(
        epsilon=impression.epsilon,
        mode=impression.mode,
        temperature=impression.temperature,
        max_enumerate=max(2, min(8, len(impression.modules))),
    )
    return order_distribution(impression.ranked, [by_id[m] for m in impression.ranked], config)


class Explorer:
    """Chooses the shown module order and describes it as an `Impression`."""

    def __init__(self, config: ExplorationConfig | None = None, *, seed: int | None = None):
        self.config = config or ExplorationConfig()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def present(
        self,
        modules: Sequence[Module],
        *,
        page_id: str | None = None,
        user_id: str | None = None,
        query: str = "",
        now: datetime | None = None,
    ) -> tuple[list[Module], Impression]:
        """The modules in the order to show, and the impression to log for them."""
        ranked = tuple(m.id for m in modules)
        dist = order_distribution(ranked, [m.score for m in modules], self.config)
        shown = ranked
        if len(dist) > 1:
            orders, probs = zip(*dist.items(), strict=True)
            with self._lock:
                shown = self._rng.choices(orders, weights=probs)[0]
        by_id = {m.id: m for m in modules}
        margin = marginals(dist)
        impression = Impression(
            page_id=page_id or uuid.uuid4().hex,
            user_id=user_id,
            query=query,
            mode=self.config.mode if len(dist) > 1 else "none",
            epsilon=self.config.epsilon if len(dist) > 1 else 0.0,
            temperature=self.config.temperature,
            ranked=list(ranked),
            modules=[
                ModuleImpression(
                    module_id=mid,
                    vertical=by_id[mid].vertical,
                    position=pos,
                    score=by_id[mid].score,
                    propensity=margin[(mid, pos)],
                    items=[i.id for i in by_id[mid].items],
                    signals=dict(by_id[mid].signals),
                )
                for pos, mid in enumerate(shown)
            ],
            propensity=dist[shown],
            **({"ts": now} if now else {}),
        )
        return [by_id[m] for m in shown], impression


class IPSEstimate(BaseModel):
    """An off-policy estimate and how much to trust it."""

    value: float
    stderr: float
    n: int = Field(description="Logged pages used.")
    clipped_share: float = Field(description="Share of importance weights that were clipped.")
    matched_share: float = Field(description="Share of pages the candidate could have shown.")
    estimator: Estimator
    target: Target


def _candidate(candidate: Ranker | Policy, impression: Impression) -> Distribution:
    out = candidate(impression)
    if isinstance(out, dict):
        dist: Distribution = {tuple(o): float(p) for o, p in out.items()}
    else:
        dist = {tuple(out): 1.0}
    want = sorted(impression.ranked)
    for order in dist:
        if sorted(order) != want:
            raise ExplorationError(
                f"the candidate ordered {list(order)} for page {impression.page_id}, "
                f"which shows {want}: return every module id of the page exactly once"
            )
    return dist


def estimate_ctr(
    candidate: Ranker | Policy,
    logs: Sequence[LoggedPage],
    *,
    estimator: Estimator = "snips",
    target: Target = "page",
    clip: float | None = 50.0,
) -> IPSEstimate:
    """The CTR the candidate would get on the logged traffic.

    `estimator` is "ips" or "snips"; `target` is "page" (share of pages engaged with)
    or "slots" (engaged modules per page); weights above `clip` are cut to it.
    """
    if estimator not in ("ips", "snips") or target not in ("page", "slots"):
        raise ValueError("estimator must be 'ips' or 'snips' and target 'page' or 'slots'")
    cap = math.inf if clip is None else clip
    weights: list[list[float]] = []
    rewards: list[list[float]] = []
    clipped = matched = 0
    for page in logs:
        imp = page.impression
        dist = _candidate(candidate, imp)
        if target == "page":
            raw = [dist.get(imp.shown, 0.0) / imp.propensity]
            rew = [page.reward]
        else:
            margin = marginals(dist)
            raw = [margin.get((m.module_id, m.position), 0.0) / m.propensity for m in imp.modules]
            rew = [1.0 if m.module_id in page.clicked else 0.0 for m in imp.modules]
        clipped += sum(w > cap for w in raw)
        matched += any(w > 0 for w in raw)
        weights.append([min(w, cap) for w in raw])
        rewards.append(rew)
    n = len(logs)
    total = sum(len(w) for w in weights)
    value, stderr = (_snips if estimator == "snips" else _ips)(weights, rewards, n)
    return IPSEstimate(
        value=value,
        stderr=stderr,
        n=n,
        clipped_share=clipped / total if total else 0.0,
        matched_share=matched / n if n else 0.0,
        estimator=estimator,
        target=target,
    )


def _ips(weights: list[list[float]], rewards: list[list[float]], n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, math.inf
    per_page = np.array([np.dot(w, r) for w, r in zip(weights, rewards, strict=True)])
    stderr = float(per_page.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    return float(per_page.mean()), stderr


def _snips(weights: list[list[float]], rewards: list[list[float]], n: int) -> tuple[float, float]:
    """Self-normalised per position slot; the slot estimates add up, variances too."""
    value = variance = 0.0
    slots = max((len(w) for w in weights), default=0)
    for j in range(slots):
        rows = [(w[j], r[j]) for w, r in zip(weights, rewards, strict=True) if j < len(w)]
        w = np.array([x for x, _ in rows])
        r = np.array([y for _, y in rows])
        if w.sum() <= 0:
            variance = math.inf
            continue
        v = float(np.dot(w, r) / w.sum())
        value += v * len(rows) / n
        variance += float(np.sum((w * (r - v)) ** 2) / w.sum() ** 2) * (len(rows) / n) ** 2
    return value, math.sqrt(variance) if slots else math.inf


def compare(
    candidates: Mapping[str, Ranker | Policy],
    logs: Sequence[LoggedPage],
    *,
    estimator: Estimator = "snips",
    target: Target = "slots",
    clip: float | None = 50.0,
) -> list[tuple[str, IPSEstimate]]:
    """Every candidate's estimate, best first: offline selection of a module ranker."""
    scored = [
        (name, estimate_ctr(c, logs, estimator=estimator, target=target, clip=clip))
        for name, c in candidates.items()
    ]
    return sorted(scored, key=lambda pair: -pair[1].value)
