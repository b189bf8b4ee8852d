"""User profiles from engagements, with real MiniLM embeddings of real-schema items."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from agent.personal.personalise import ItemVectors
from agent.personal.profile import (
    ItemKey,
    Profile,
    ProfileConfig,
    ProfileService,
    build_profile,
    item_key,
    item_weights,
)
from tools.catalog import CatalogItem, Idea, Vertical, Video
from tools.embeddings import MiniLMEmbedder
from tools.events import Event, EventKind, EventStore

T0 = datetime(2025, 3, 1, tzinfo=UTC)
SOUPS: list[CatalogItem] = [
    Idea(id="lentil-soup", title="Red lentil soup", diet=["vegetarian", "vegan"], kind="recipe",
         description="Ingredients: red lentils, onion, cumin, vegetable stock. Simmer until soft.",
         tags=["recipe", "soup", "vegetarian"]),
    Idea(id="minestrone", title="Minestrone", diet=["vegetarian"], kind="recipe",
         description="Ingredients: beans, pasta, carrots, celery, tomatoes, vegetable broth.",
         tags=["recipe", "soup", "vegetarian"]),
    Idea(id="tomato-soup", title="Tomato basil soup", diet=["vegetarian"], kind="recipe",
         description="Ingredients: tomatoes, basil, garlic, cream. Blend until smooth.",
         tags=["recipe", "soup", "vegetarian"]),
    Idea(id="pumpkin-soup", title="Roasted pumpkin soup", diet=["vegetarian", "vegan"],
         kind="recipe", description="Ingredients: pumpkin, ginger, coconut milk, stock.",
         tags=["recipe", "soup", "vegetarian"]),
]  # fmt: skip
SCIFI: list[CatalogItem] = [
    Video(id="alien", title="Alien", genre=["Horror", "Sci-Fi"], creator="Ridley Scott",
          description="Directed by Ridley Scott; starring Sigourney Weaver. A spaceship crew "
          "meets a deadly alien.", tags=["sci-fi", "horror", "english"]),
    Video(id="blade-runner", title="Blade Runner", genre=["Sci-Fi", "Thriller"],
          creator="Ridley Scott", description="Directed by Ridley Scott; starring Harrison "
          "Ford. A blade runner hunts replicants in a future Los Angeles.",
          tags=["sci-fi", "thriller", "english"]),
    Video(id="space-odyssey", title="2001: A Space Odyssey", genre=["Sci-Fi", "Adventure"],
          creator="Stanley Kubrick", description="Directed by Stanley Kubrick; astronauts "
          "and the computer HAL travel to Jupiter.", tags=["sci-fi", "adventure", "english"]),
]  # fmt: skip
WESTERN: list[CatalogItem] = [
    Video(id="unforgiven", title="Unforgiven", genre=["Western", "Drama"],
          creator="Clint Eastwood", description="Directed by Clint Eastwood; an ageing "
          "gunslinger takes one last bounty job.", tags=["western", "drama", "english"]),
]  # fmt: skip
CATALOG = SOUPS + SCIFI + WESTERN


class StubIndex:
    """The part of `CatalogIndex` that `ItemVectors` reads, over an in-memory catalog."""

    def __init__(self, embedder: MiniLMEmbedder, items: Sequence[CatalogItem]) -> None:
        self.embedder = embedder
        self.version = 1
        self._items = {(i.vertical, i.id): i for i in items}

    def get(self, vertical: Vertical, ids: Sequence[str]) -> list[CatalogItem]:
        return [self._items[(vertical, i)] for i in ids if (vertical, i) in self._items]


@pytest.fixture(scope="module")
def vectors() -> ItemVectors:
    return ItemVectors(StubIndex(MiniLMEmbedder(), CATALOG))


def engage(
    items: Sequence[CatalogItem], kind: EventKind, user: str = "ana", days_ago: float = 0.0
) -> list[Event]:
    return [
        Event(user_id=user, item_id=i.id, vertical=i.vertical, kind=kind,
              ts=T0 - timedelta(days=days_ago, minutes=n))
        for n, i in enumerate(items)
    ]  # fmt: skip


def profile_of(events: list[Event], lookup: ItemVectors, **config: object) -> Profile:
    keys = [item_key(e.vertical, e.item_id) for e in events]
    cfg = ProfileConfig.model_validate(config)
    return build_profile("ana", events, lookup(keys), cfg, revision=1, key="test")


def members(profile: Profile) -> list[set[ItemKey]]:
    return [set(i.items) for i in profile.interests]


def test_two_tastes_stay_two_interests(vectors: ItemVectors) -> None:
    events = engage(SOUPS, "click") + engage(SCIFI, "save")
    profile = profile_of(events, vectors)
    soups = {item_key("ideas", i.id) for i in SOUPS}
    films = {item_key("video", i.id) for i in SCIFI}
    assert sorted(members(profile), key=len) == [films, soups]
    film_interest = next(i for i in profile.interests if i.medoid in films)
    soup_interest = next(i for i in profile.interests if i.medoid in soups)
    assert film_interest.weight == pytest.approx(12 / 20, rel=1e-3)
    assert soup_interest.weight == pytest.approx(8 / 20, rel=1e-3)
    assert np.linalg.norm(profile.matrix(), axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_saves_outweigh_clicks_outweigh_views_and_old_events_fade() -> None:
    config = ProfileConfig(half_life_days=30)
    events = [
        *engage(SOUPS[:1], "save"), *engage(SOUPS[1:2], "click"), *engage(SOUPS[2:3], "view"),
        *engage(SOUPS[3:4], "click", days_ago=30),
    ]  # fmt: skip
    w = item_weights(events, config)
    save, click, view, old = (w[item_key("ideas", i.id)] for i in SOUPS)
    assert save > click > view
    assert old == pytest.approx(click / 2, rel=1e-3)


def test_the_interest_count_is_capped_and_similar_items_merge(vectors: ItemVectors) -> None:
    events = engage(SOUPS, "click") + engage(SCIFI, "click") + engage(WESTERN, "click")
    apart = profile_of(events, vectors, merge_threshold=1.0, max_interests=3)
    assert len(apart.interests) == 3
    capped = profile_of(events, vectors, merge_threshold=1.0, max_interests=2)
    assert len(capped.interests) == 2
    assert sum(i.size for i in capped.interests) == len(CATALOG)
    merged = profile_of(events, vectors, merge_threshold=-1.0)
    assert len(merged.interests) == 1


def test_profiles_do_not_depend_on_event_order(vectors: ItemVectors) -> None:
    events = engage(SOUPS, "click") + engage(SCIFI, "view") + engage(WESTERN, "save")
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    assert profile_of(events, vectors) == profile_of(shuffled, vectors)


def test_items_gone_from_the_catalog_are_skipped(vectors: ItemVectors) -> None:
    ghost = Event(user_id="ana", item_id="deleted", vertical="ideas", kind="save", ts=T0)
    profile = profile_of([ghost, *engage(SOUPS[:2], "click")], vectors)
    assert profile.events == 3
    assert {k for i in profile.interests for k in i.items} == {
        item_key("ideas", "lentil-soup"), item_key("ideas", "minestrone")
    }  # fmt: skip
    assert profile_of([ghost], vectors).empty


def test_strength_grows_with_evidence_and_fades_with_inactivity(vectors: ItemVectors) -> None:
    config = ProfileConfig()
    one_view = profile_of(engage(SOUPS[:1], "view"), vectors)
    many_saves = profile_of(engage(SOUPS, "save"), vectors)
    assert 0 < one_view.strength(config, T0) < many_saves.strength(config, T0) < 1
    later = T0 + timedelta(days=180)
    assert many_saves.strength(config, later) < many_saves.strength(config, T0) / 4


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    s = EventStore(tmp_path / "events.sqlite")
    yield s
    s.close()


def test_service_caches_until_a_new_event_and_forgets_deleted_users(
    store: EventStore, vectors: ItemVectors
) -> None:
    service = ProfileService(store, vectors, embedder="minilm")
    assert service.get(None) is None and service.get("ana") is None
    store.add_many(engage(SOUPS, "click"))
    first = service.get("ana")
    assert first is not None and len(first.interests) == 1
    assert service.get("ana") == first and service.builds == 1
    fresh = ProfileService(store, vectors, embedder="minilm")
    assert fresh.get("ana") == first and fresh.builds == 0
    store.add_many(engage(SCIFI, "save"))
    second = service.get("ana")
    assert second is not None and service.builds == 2
    assert second.revision > first.revision and len(second.interests) == 2
    other_config = ProfileService(store, vectors, embedder="other-model")
    assert other_config.get("ana") is not None and other_config.builds == 1
    store.delete_user("ana")
    assert service.get("ana") is None
    assert store.load_profile("ana") is None
