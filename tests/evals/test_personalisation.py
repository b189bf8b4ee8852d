"""The personalisation suite's simulated users and its significance figure."""

from __future__ import annotations

from datetime import timedelta

from evals.report import CaseResult, ConfigResult
from evals.suites.personalisation import (
    ARCHETYPES,
    HISTORY_DAYS,
    REFERENCE,
    significance,
    simulate_users,
)
from tools.catalog import CatalogItem, Video

GENRES = ("Comedy", "Horror", "Crime", "Romance", "Sci-Fi", "Documentary")


def films(n: int) -> list[CatalogItem]:
    return [Video(id=f"v{i}", title=f"Film {i}", genre=[GENRES[i % len(GENRES)]]) for i in range(n)]


def test_held_out_items_are_shown_items_the_user_had_not_engaged_with() -> None:
    catalog = films(600)
    shown = {"video": catalog[:30]}
    users = simulate_users(catalog, shown, 60, seed=3)
    shown_keys = {f"video:{i.id}" for i in catalog[:30]}
    assert users == simulate_users(catalog, shown, 60, seed=3)
    assert sum(len(u.held_out) for u in users) > 60
    for user in users:
        train = {f"{e.vertical}:{e.item_id}" for e in user.train}
        assert set(user.held_out) <= shown_keys
        assert not set(user.held_out) & train
        assert all(e.ts <= REFERENCE - timedelta(days=HISTORY_DAYS[0]) for e in user.train)


def test_shown_items_of_the_users_taste_are_engaged_with_more_often() -> None:
    catalog = films(1200)
    shown = {"video": catalog[:60]}
    taste_hits = other_hits = taste_shown = other_shown = 0
    for user in simulate_users(catalog, shown, 120, seed=5):
        tests = [ARCHETYPES[t][1] for t in user.tastes if ARCHETYPES[t][0] == "video"]
        if not tests:
            continue
        for item in catalog[:60]:
            liked = any(test(item) for test in tests)
            held = f"video:{item.id}" in user.held_out
            taste_shown += liked
            other_shown += not liked
            taste_hits += liked and held
            other_hits += held and not liked
    assert taste_hits / taste_shown > 4 * (other_hits / other_shown)


def result(name: str, scores: list[float]) -> ConfigResult:
    cases = [CaseResult(id=str(n), metrics={"recall@10": s}) for n, s in enumerate(scores)]
    return ConfigResult(name=name, cases=cases)


def test_significance_is_paired_and_one_sided() -> None:
    base = result("baseline", [0.0, 0.1, 0.2, 0.0] * 10)
    better = result("personalised", [0.3, 0.4, 0.2, 0.5] * 10)
    worse = result("strong", [0.0, 0.0, 0.1, 0.0] * 10)
    p = significance([base, better, worse], "recall@10")
    assert isinstance(p["personalised"], float) and p["personalised"] < 0.01
    assert p["strong"] == 1.0
    assert significance([better], "recall@10") == {}
