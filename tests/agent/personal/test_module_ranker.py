"""Module weights learned from logged pages: estimator arithmetic, fitting, save and load."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from agent.models import Module, ResultItem, SubQuery, ToolResult
from agent.nodes.rank import rank
from agent.personal.exploration import ExplorationConfig, Explorer, estimate_ctr
from agent.personal.ips import evaluate
from agent.personal.module_ranker import ModuleWeights, ranker, train_and_compare
from tools.catalog import Idea
from tools.contract import Hit
from tools.impressions import Impression, LoggedPage, ModuleImpression

INTENT_HEAVY = {"intent": 0.9, "quality": 0.1, "fill": 1.0, "relaxations": 0.0}
QUALITY_HEAVY = {"intent": 0.1, "quality": 0.9, "fill": 1.0, "relaxations": 0.0}
QUALITY_FIRST = ModuleWeights(intent=0.1, quality=0.9, fill=0.0, relaxations=0.0)


def page(page_id: str, shown: list[str], propensity: float, clicked: list[str]) -> LoggedPage:
    signals = {"A": INTENT_HEAVY, "B": QUALITY_HEAVY}
    modules = [
        ModuleImpression(module_id=m, vertical="ideas", position=n, score=0.5,
                         propensity=propensity, signals=signals[m])
        for n, m in enumerate(shown)
    ]  # fmt: skip
    imp = Impression(page_id=page_id, ranked=["A", "B"], modules=modules,
                     propensity=propensity, mode="swap", epsilon=0.2)  # fmt: skip
    return LoggedPage(impression=imp, clicked=clicked)


LOG = [page("p1", ["A", "B"], 0.8, ["A"]), page("p2", ["B", "A"], 0.2, ["B"])]


def test_replayed_weights_order_modules_by_their_signals() -> None:
    imp = LOG[0].impression
    assert ranker(ModuleWeights())(imp) == ["A", "B"]
    assert ranker(QUALITY_FIRST)(imp) == ["B", "A"]
    blended = {**QUALITY_HEAVY, "affinity": 1.0, "blend": 0.5}
    assert ModuleWeights().score(blended) == pytest.approx(0.5 * 0.515 + 0.5 * 1.0)


def test_ips_and_snips_on_a_hand_computable_log() -> None:
    # B first matches only p2's slots, each with weight 1 / 0.2 = 5; p2 clicked B at 0.
    b_first = ranker(QUALITY_FIRST)
    ips = estimate_ctr(b_first, LOG, estimator="ips", target="slots", clip=None)
    snips = estimate_ctr(b_first, LOG, estimator="snips", target="slots", clip=None)
    assert ips.value == pytest.approx((0 + 5 * 1) / 2)
    assert snips.value == pytest.approx(1.0)
    # A first matches only p1's slots, weight 1 / 0.8 = 1.25; p1 clicked A at 0.
    a_first = ranker(ModuleWeights())
    ips = estimate_ctr(a_first, LOG, estimator="ips", target="slots", clip=None)
    assert ips.value == pytest.approx((1.25 * 1 + 0) / 2)
    assert ips.matched_share == pytest.approx(0.5)
    # Clipping the weights at 2 cuts p2's weight of 5.
    clipped = estimate_ctr(b_first, LOG, estimator="ips", target="slots", clip=2.0)
    assert clipped.value == pytest.approx(1.0) and clipped.clipped_share == pytest.approx(0.5)


def simulated_logs(pages: int, seed: int) -> list[LoggedPage]:
    """Pages of three modules logged by the hand-set weights; users click by quality."""
    rng = random.Random(seed)
    explorer = Explorer(ExplorationConfig(epsilon=0.5, mode="plackett_luce", temperature=0.2),
                        seed=seed)  # fmt: skip
    logs = []
    for n in range(pages):
        modules = []
        for m in "XYZ":
            signals = {"intent": rng.uniform(0.3, 1.0), "quality": rng.uniform(0.0, 1.0),
                       "fill": 1.0, "relaxations": 0.0}  # fmt: skip
            modules.append(Module(id=m, title=m, vertical="ideas", reason="", signals=signals,
                                  score=round(ModuleWeights().base(signals), 4)))  # fmt: skip
        modules.sort(key=lambda mod: -mod.score)
        shown, imp = explorer.present(modules, page_id=f"p{n}")
        clicked = [
            m.id for pos, m in enumerate(shown)
            if rng.random() < (1.0 / (pos + 1)) * 0.6 * m.signals["quality"]
        ]  # fmt: skip
        logs.append(LoggedPage(impression=imp, clicked=clicked))
    return logs


def test_learned_weights_beat_the_hand_set_ones_where_clicks_follow_quality() -> None:
    result = train_and_compare(simulated_logs(1200, seed=5), trials=60)
    learned = result.learned
    assert learned.quality > learned.intent
    held = result.held_out["snips"]
    assert held["learned"].value > held["current"].value
    assert result.fit_pages + result.held_out_pages == 1200


def test_weights_round_trip_and_reorder_the_page(tmp_path: Path) -> None:
    path = tmp_path / "module_ranker.json"
    assert ModuleWeights.load(path) == ModuleWeights()
    QUALITY_FIRST.save(path)
    loaded = ModuleWeights.load(path)
    assert loaded == QUALITY_FIRST
    items = [ResultItem(id=f"i{n}", vertical="ideas", title="t", score=1.0) for n in range(8)]
    modules = [Module(id=m, title=m, vertical="ideas", reason="", items=items) for m in "AB"]
    results = [
        ToolResult(subquery=SubQuery(id="A", tool="search_ideas", text="a", weight=1.0), hits=[]),
        ToolResult(
            subquery=SubQuery(id="B", tool="search_ideas", text="b", weight=0.2),
            hits=[Hit(item=Idea(id="i0", title="t"), score=1.0, lexical_rank=1, dense_rank=1)],
        ),  # fmt: skip
    ]
    # A is surely wanted but has no hits; B's hit is found by both retrievers.
    assert [m.id for m in rank(modules, results, 8)] == ["A", "B"]
    reordered = rank(modules, results, 8, loaded)
    assert [m.id for m in reordered] == ["B", "A"]
    assert reordered[0].signals["quality"] == pytest.approx(1.0)


def test_ips_lists_the_learned_and_current_weights() -> None:
    rows = {r.name: r.estimate for r in evaluate(LOG, learned=QUALITY_FIRST, clip=None)}
    assert rows["learned"].value == pytest.approx(1.0)
    assert rows["current"].value == pytest.approx(1.0)
    assert rows["current"].matched_share == pytest.approx(0.5)


def test_cli_train_modules_saves_weights_that_ips_then_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agent.backends import open_event_logs
    from agent.cli.main import main
    from agent.settings import Settings
    from tools.events import Event

    monkeypatch.setenv("TESSERA_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    settings = Settings()
    events, impressions = open_event_logs(settings)
    try:
        for logged in simulated_logs(300, seed=9):
            impressions.log(logged.impression)
            for module in logged.clicked:
                events.add(Event(user_id="u", item_id="x", vertical="ideas", kind="click",
                                 page_id=logged.impression.page_id, module_id=module))  # fmt: skip
    finally:
        events.close()
        impressions.close()
    assert main(["rank", "train-modules", "--trials", "10"]) == 0
    out = capsys.readouterr().out
    assert "held out SNIPS learned" in out and "held out IPS   current" in out
    assert "held out gain, learned - current (paired IPS)" in out
    saved = ModuleWeights.load(settings.module_weights_path)
    assert saved.source.startswith("snips on ")
    assert main(["ips", "--json", "--candidate", "learned"]) == 0
    assert '"name": "learned"' in capsys.readouterr().out


def test_paired_gain_counts_only_the_pages_where_the_orders_differ() -> None:
    from agent.personal.module_ranker import paired_gain

    # On p1 (A first, p 0.8) only A-first matches; on p2 (B first, p 0.2) only B-first.
    gain = paired_gain(ranker(QUALITY_FIRST), ranker(ModuleWeights()), LOG, clip=50.0)
    assert gain.value == pytest.approx((-1.25 + 5.0) / 2)
    assert gain.differing == 2 and gain.pages == 2
    same = paired_gain(ranker(ModuleWeights()), ranker(ModuleWeights()), LOG)
    assert same.value == 0.0 and same.stderr == 0.0 and same.differing == 0
    low, high = gain.interval
    assert low < gain.value < high


def test_the_pessimistic_objective_moves_only_on_confident_evidence() -> None:
    logs = simulated_logs(1200, seed=5)
    result = train_and_compare(logs, estimator="gain-lcb", trials=40)
    assert result.learned.quality > result.learned.intent
    assert result.gain.value > 0
    rng = random.Random(3)
    noise = [
        p.model_copy(update={"clicked": [m for m in p.impression.ranked if rng.random() < 0.2]})
        for p in logs[:300]
    ]
    kept = train_and_compare(noise, estimator="gain-lcb", trials=40)
    assert kept.learned.vector() == ModuleWeights().vector()
