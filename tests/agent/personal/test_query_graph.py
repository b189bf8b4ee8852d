"""Query recommendations from the catalog and the query log, with real MiniLM embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from agent.models import Module
from agent.personal.exploration import Explorer
from agent.personal.personalise import ItemVectors
from agent.personal.profile import Profile, ProfileConfig, build_profile, item_key
from agent.personal.query_graph import (
    QueryGraph,
    QueryLogEntry,
    catalog_phrases,
    log_entries,
    terms,
)
from tools.catalog import CatalogItem, Idea, Product, Vertical, Video
from tools.embeddings import MiniLMEmbedder
from tools.events import Event
from tools.impressions import LoggedPage

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def dish(id: str, title: str, tags: list[str], diet: list[str] | None = None) -> Idea:
    return Idea(id=id, title=title, kind="recipe", tags=["recipe", *tags], diet=diet or [],
                description=f"{title}: a home-cooked dish.")  # fmt: skip


VEG = ["vegetarian"]
CATALOG: list[CatalogItem] = [
    dish("lentil", "Lentil soup", ["soup"], VEG),
    dish("tomato", "Tomato basil soup", ["soup"], VEG),
    dish("leek", "Potato leek soup", ["soup"], VEG),
    dish("roast", "Roast chicken", ["chicken"]),
    dish("wings", "Chicken wings", ["chicken"]),
    dish("stroganoff", "Beef stroganoff", ["beef"]),
    dish("burger", "Beef burger", ["beef"]),
    dish("carbonara", "Pasta carbonara", ["pasta"]),
    dish("pesto", "Pasta with pesto", ["pasta"], VEG),
    Video(id="alien", title="Alien", genre=["Sci-Fi", "Horror"]),
    Video(id="matrix", title="The Matrix", genre=["Sci-Fi", "Action"]),
    Video(id="airplane", title="Airplane!", genre=["Comedy"]),
    Video(id="clueless", title="Clueless", genre=["Comedy"]),
    Product(id="chair1", title="Mesh office chair", colors=["black"],
            category_path=["Furniture", "Chairs"]),
    Product(id="chair2", title="Leather office chair", colors=["black"],
            category_path=["Furniture", "Chairs"]),
]  # fmt: skip


class StubIndex:
    """The part of `CatalogIndex` that `ItemVectors` reads, over an in-memory catalog."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self.embedder = embedder
        self.version = 1
        self._items = {(i.vertical, i.id): i for i in CATALOG}

    def get(self, vertical: Vertical, ids: Sequence[str]) -> list[CatalogItem]:
        return [self._items[(vertical, i)] for i in ids if (vertical, i) in self._items]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def vectors(embedder: MiniLMEmbedder) -> ItemVectors:
    return ItemVectors(StubIndex(embedder))


@pytest.fixture(scope="module")
def graph(embedder: MiniLMEmbedder, vectors: ItemVectors) -> QueryGraph:
    return QueryGraph.build(CATALOG, [], embedder=embedder, vectors=vectors)


def fan_of(ids: list[tuple[Vertical, str]], vectors: ItemVectors) -> Profile:
    events = [Event(user_id="u", item_id=i, vertical=v, kind="save", ts=T0) for v, i in ids]
    found = vectors([item_key(v, i) for v, i in ids])
    return build_profile("u", events, found, ProfileConfig(), revision=1, key="t")


def test_terms_drop_stopwords_and_plurals() -> None:
    assert terms("Vegetarian Soups for dinner, please!") == {
        "vegetarian",
        "soup",
        "dinner",
        "please",
    }
    assert terms("movie ideas for the weekend") == {"weekend"}


def test_catalog_phrases_need_items_that_carry_them() -> None:
    phrases = catalog_phrases(CATALOG)
    soups = ["ideas:leek", "ideas:lentil", "ideas:tomato"]
    assert sorted(phrases["vegetarian soup recipes"]) == soups
    assert phrases["sci-fi movies"] == ["video:alien", "video:matrix"]
    assert phrases["black chairs"] == ["shopping:chair1", "shopping:chair2"]
    assert "vegetarian chicken recipes" not in phrases


def test_recommendations_are_related_and_never_repeat_the_query(graph: QueryGraph) -> None:
    recs = graph.recommend("soup", k=4)
    assert recs and recs[0] == "vegetarian soup recipes"
    assert "soup" not in recs and "soup recipes" not in recs
    assert len(recs) == len(set(recs)) <= 4
    assert graph.recommend("   ") == [] and graph.recommend("soup", k=0) == []


def test_a_profile_prefers_queries_near_the_users_interests(
    graph: QueryGraph, vectors: ItemVectors
) -> None:
    plain = graph.recommend("dinner ideas", k=5)
    soup_lover = fan_of([("ideas", "lentil"), ("ideas", "tomato"), ("ideas", "leek")], vectors)
    mine = graph.recommend("dinner ideas", soup_lover, k=5, now=T0)

    def best_soup(recs: list[str]) -> int:
        return min((n for n, r in enumerate(recs) if "soup" in r), default=len(recs))

    assert best_soup(mine) < best_soup(plain)
    parts = graph.explain("dinner ideas", soup_lover, k=5, now=T0)
    assert all(p.personal is not None for p in parts)


def test_an_unrelated_interest_leaves_recommendations_alone(
    graph: QueryGraph, vectors: ItemVectors
) -> None:
    film_buff = fan_of([("video", "alien"), ("video", "matrix")], vectors)
    assert graph.recommend("soup", film_buff, k=4, now=T0) == graph.recommend("soup", k=4)


def log(user: str, query: str, minutes: int, clicked: list[str] | None = None) -> QueryLogEntry:
    return QueryLogEntry(
        user_id=user, query=query, ts=T0 + timedelta(minutes=minutes), clicked=clicked or []
    )


def test_logged_queries_need_several_users_and_transitions_lead_somewhere(
    embedder: MiniLMEmbedder, vectors: ItemVectors
) -> None:
    lone = [log("ana", "tomato soup", 0), log("ana", "grilled cheese sandwich", 5)]
    graph = QueryGraph.build(CATALOG, lone, embedder=embedder, vectors=vectors)
    assert "grilled cheese sandwich" not in graph.recommend("tomato soup", k=8)
    crowd = lone + [
        entry for user in ("ben", "cai", "dee")
        for entry in (log(user, "tomato soup", 60), log(user, "grilled cheese sandwich", 70))
    ]  # fmt: skip
    graph = QueryGraph.build(CATALOG, crowd, embedder=embedder, vectors=vectors)
    parts = graph.explain("tomato soup", k=8)
    sandwich = next(p for p in parts if p.text == "grilled cheese sandwich")
    assert sandwich.transition > 0.9 and sandwich.lexical == 0.0
    late = [log(u, "tomato soup", 0) for u in ("ben", "cai")]
    late += [log(u, "grilled cheese sandwich", 600) for u in ("ben", "cai")]
    graph = QueryGraph.build(CATALOG, late, embedder=embedder, vectors=vectors)
    far = next((p for p in graph.explain("tomato soup", k=8) if "grilled" in p.text), None)
    assert far is None or far.transition == 0.0


def test_co_clicked_queries_are_linked(embedder: MiniLMEmbedder) -> None:
    entries = [log(u, "quick weeknight meal", 0, ["ideas:carbonara"]) for u in ("a", "b")]
    entries += [log(u, "pasta tonight", 500, ["ideas:carbonara"]) for u in ("c", "d")]
    graph = QueryGraph.build(CATALOG, entries, embedder=embedder)
    parts = {p.text: p for p in graph.explain("quick weeknight meal", k=8)}
    assert "pasta tonight" in parts and parts["pasta tonight"].transition > 0


def test_log_entries_come_from_logged_pages() -> None:
    module = Module(id="q1", title="t", vertical="ideas", reason="")
    _, imp = Explorer().present([module], user_id="ana", query="lentil soup", now=T0)
    page = LoggedPage(impression=imp, clicked=["q1"], items=["ideas:lentil"])
    _, blank = Explorer().present([module], query="  ")
    (entry,) = log_entries([page, LoggedPage(impression=blank)])
    assert (entry.user_id, entry.query, entry.clicked, entry.ts) == (
        "ana", "lentil soup", ["ideas:lentil"], T0
    )  # fmt: skip


def test_a_person_is_suggested_only_when_the_request_names_them(embedder: MiniLMEmbedder) -> None:
    films = [
        Video(id=f"{who}-{n}", title=f"Film {n}", genre=["Documentary"], creator=name)
        for who, name in (("curry", "Marshall Curry"), ("green", "Guy Green"))
        for n in range(2)
    ]
    curry = dish("curry", "Thai green curry", ["curry"])
    graph = QueryGraph.build([*CATALOG, *films, curry, curry.model_copy(update={"id": "c2"})],
                             [], embedder=embedder)  # fmt: skip
    assert "films by Marshall Curry" in graph.texts
    assert not [r for r in graph.recommend("thai green curry", k=8) if r.startswith("films by")]
    assert "films by Marshall Curry" in graph.recommend("marshall curry documentaries", k=8)
