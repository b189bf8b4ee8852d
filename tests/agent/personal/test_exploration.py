"""Exploration over module order, impression logging, and IPS estimates on known click models."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import pytest

from agent.models import Module, ResultItem
from agent.personal.exploration import (
    Estimator,
    ExplorationConfig,
    ExplorationError,
    Explorer,
    Target,
    compare,
    estimate_ctr,
    logging_policy,
    marginals,
    order_distribution,
)
from tools.events import Event, EventStore
from tools.impressions import Impression, ImpressionError, ImpressionLog, LoggedPage

ATTRACTION = {"A": 0.1, "B": 0.5, "C": 0.3, "D": 0.2}
EXAMINE = [1.0, 0.6, 0.35, 0.2]
MODULES = [
    Module(id=m, title=m, vertical="ideas", reason="", score=s,
           items=[ResultItem(id=f"{m}1", vertical="ideas", title=m, score=1.0)])
    for m, s in zip("ABCD", [0.9, 0.8, 0.7, 0.6], strict=True)
]  # fmt: skip
BASE = ("A", "B", "C", "D")
BETTER = ("B", "A", "C", "D")


def truth(order: tuple[str, ...]) -> tuple[float, float]:
    """(P(any click), expected clicks) of `order` under the position-based click model."""
    none, clicks = 1.0, 0.0
    for pos, module in enumerate(order):
        p = EXAMINE[pos] * ATTRACTION[module]
        none *= 1 - p
        clicks += p
    return 1 - none, clicks


def simulate(config: ExplorationConfig, pages: int, seed: int) -> list[LoggedPage]:
    explorer, rng = Explorer(config, seed=seed), random.Random(seed + 1)
    logs = []
    for n in range(pages):
        shown, imp = explorer.present(MODULES, page_id=f"p{n}")
        chance = [EXAMINE[pos] * ATTRACTION[m.id] for pos, m in enumerate(shown)]
        clicked = [m.id for m, p in zip(shown, chance, strict=True) if rng.random() < p]
        logs.append(LoggedPage(impression=imp, clicked=clicked))
    return logs


@pytest.fixture(scope="module")
def swap_logs() -> list[LoggedPage]:
    return simulate(ExplorationConfig(epsilon=0.3, mode="swap"), 5000, seed=7)


@pytest.fixture(scope="module")
def pl_logs() -> list[LoggedPage]:
    return simulate(ExplorationConfig(epsilon=0.3, mode="plackett_luce"), 5000, seed=8)


def test_exploration_off_shows_the_ranked_order_with_propensity_one() -> None:
    explorer = Explorer(ExplorationConfig(epsilon=0.0), seed=1)
    for _ in range(200):
        shown, imp = explorer.present(MODULES, query="q")
        assert [m.id for m in shown] == list(BASE) and not imp.explored
        assert imp.propensity == 1.0 and all(m.propensity == 1.0 for m in imp.modules)
    _, single = Explorer(ExplorationConfig(epsilon=0.9), seed=1).present(MODULES[:1])
    assert single.propensity == 1.0 and single.mode == "none"


@pytest.mark.parametrize("mode", ["swap", "plackett_luce"])
def test_distributions_are_proper_and_sampling_follows_them(mode: str) -> None:
    config = ExplorationConfig.model_validate({"epsilon": 0.4, "mode": mode})
    dist = order_distribution(BASE, [m.score for m in MODULES], config)
    assert sum(dist.values()) == pytest.approx(1.0)
    assert dist[BASE] >= 0.6 - 1e-9
    if mode == "swap":
        assert dist == pytest.approx({BASE: 0.6} | {o: 0.4 / 3 for o in dist if o != BASE})
    margin = marginals(dist)
    for pos in range(4):
        assert sum(margin.get((m, pos), 0.0) for m in BASE) == pytest.approx(1.0)
    explorer = Explorer(config, seed=3)
    draws = [explorer.present(MODULES)[1] for _ in range(3000)]
    counts = Counter(d.shown for d in draws)
    for order, prob in dist.items():
        assert counts[order] / len(draws) == pytest.approx(prob, abs=0.035)
    assert all(d.propensity == pytest.approx(dist[d.shown]) for d in draws[:50])


def test_impressions_join_engagements_by_page_and_module(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    events, log = EventStore(path), ImpressionLog(path)
    explorer = Explorer(ExplorationConfig(epsilon=0.0))
    for page_id, user in (("p1", "ana"), ("p2", "ben")):
        log.log(explorer.present(MODULES, page_id=page_id, user_id=user, query="soup")[1])
    with pytest.raises(ImpressionError, match="p1"):
        log.log(explorer.present(MODULES, page_id="p1")[1])
    events.add_many([
        Event(user_id="ana", item_id="B1", vertical="ideas", kind="click", page_id="p1",
              module_id="B"),
        Event(user_id="ana", item_id="C1", vertical="ideas", kind="view", page_id="p1",
              module_id="C"),
        Event(user_id="ben", item_id="D1", vertical="ideas", kind="save", page_id="p2",
              module_id="D"),
        Event(user_id="ben", item_id="A1", vertical="ideas", kind="click", page_id="p-gone",
              module_id="A"),
    ])  # fmt: skip
    pages = {p.impression.page_id: p for p in log.logged_pages(events)}
    assert (pages["p1"].clicked, pages["p1"].items) == (["B"], ["ideas:B1"])
    assert pages["p2"].clicked == ["D"] and pages["p2"].reward == 1.0
    first = log.get("p1")
    assert first is not None and first.query == "soup" and first.user_id == "ana"
    assert log.delete_user("ana") == 1 and log.get("p1") is None
    assert [i.page_id for i in log.pages()] == ["p2"]
    events.close()
    log.close()


def test_an_inconsistent_impression_is_rejected() -> None:
    _, imp = Explorer(ExplorationConfig(epsilon=0.0)).present(MODULES)
    with pytest.raises(ValueError, match="permutation"):
        Impression.model_validate(imp.model_dump() | {"ranked": ["A", "B", "C", "X"]})


@pytest.mark.parametrize("target", ["page", "slots"])
@pytest.mark.parametrize("estimator", ["ips", "snips"])
def test_the_logging_policy_is_estimated_at_its_observed_ctr(
    swap_logs: list[LoggedPage], target: Target, estimator: Estimator
) -> None:
    est = estimate_ctr(logging_policy, swap_logs, estimator=estimator, target=target)
    per_page = [p.reward if target == "page" else len(p.clicked) for p in swap_logs]
    observed = sum(per_page) / len(per_page)
    assert abs(est.value - observed) <= max(est.stderr, 1e-12)
    assert est.value == pytest.approx(observed)
    assert est.matched_share == 1.0 and est.clipped_share == 0.0 and est.n == 5000


@pytest.mark.parametrize("fixture", ["swap_logs", "pl_logs"])
@pytest.mark.parametrize("target", ["page", "slots"])
def test_a_known_better_ranker_scores_higher_and_near_its_true_ctr(
    fixture: str, target: Target, request: pytest.FixtureRequest
) -> None:
    logs: list[LoggedPage] = request.getfixturevalue(fixture)
    truth_of = {"page": 0, "slots": 1}[target]
    base = estimate_ctr(lambda imp: imp.ranked, logs, target=target)
    better = estimate_ctr(lambda imp: list(BETTER), logs, target=target)
    assert better.value - base.value > 2 * math.hypot(better.stderr, base.stderr)
    assert abs(base.value - truth(BASE)[truth_of]) < 3 * base.stderr
    assert abs(better.value - truth(BETTER)[truth_of]) < 3 * better.stderr
    ranked = compare({"base": lambda imp: imp.ranked, "better": lambda imp: list(BETTER)}, logs)
    assert [name for name, _ in ranked] == ["better", "base"]


def test_unsupported_orders_and_clipping_are_reported(swap_logs: list[LoggedPage]) -> None:
    far = estimate_ctr(lambda imp: ["D", "C", "B", "A"], swap_logs, target="page")
    assert far.matched_share == 0.0 and far.value == 0.0
    clipped = estimate_ctr(lambda imp: list(BETTER), swap_logs, estimator="ips", clip=2.0)
    free = estimate_ctr(lambda imp: list(BETTER), swap_logs, estimator="ips", clip=None)
    assert clipped.clipped_share > 0.05 and free.clipped_share == 0.0
    assert clipped.value < free.value


def test_a_candidate_must_order_the_page_modules(swap_logs: list[LoggedPage]) -> None:
    with pytest.raises(ExplorationError, match="exactly once"):
        estimate_ctr(lambda imp: ["A", "B"], swap_logs[:5])
    with pytest.raises(ValueError, match="estimator"):
        estimate_ctr(logging_policy, swap_logs[:5], estimator="dr")  # type: ignore[arg-type]
