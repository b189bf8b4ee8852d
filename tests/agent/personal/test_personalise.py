"""Personalised ranking over a real index (Chroma + SQLite) with real MiniLM embeddings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from agent.models import Module, ResultItem
from agent.personal.personalise import ItemVectors, affinity, personalise, relative
from agent.personal.profile import Interest, Profile, ProfileConfig, build_profile, item_key
from tools.catalog import CatalogItem, Idea, Vertical, Video
from tools.embeddings import MiniLMEmbedder
from tools.events import Event
from tools.index import CatalogIndex

T0 = datetime(2025, 3, 1, tzinfo=UTC)
VEG = ["vegetarian"]


def recipe(id: str, title: str, text: str, diet: list[str] | None = None) -> Idea:
    tags = ["recipe", *(diet or [])]
    return Idea(id=id, title=title, description=text, diet=diet or [], kind="recipe", tags=tags)


ENGAGED: list[CatalogItem] = [
    recipe("lentil-dal", "Red lentil dal", "Lentils simmered with turmeric and cumin.", VEG),
    recipe("tofu-stir-fry", "Tofu stir fry", "Tofu, broccoli and peppers in soy sauce.", VEG),
    recipe("veg-curry", "Vegetable curry", "Potatoes, cauliflower and peas in curry.", VEG),
]
RECIPES: list[CatalogItem] = [
    recipe("chickpea-curry", "Chickpea curry", "Chickpeas and spinach in a tomato curry.", VEG),
    recipe("mushroom-risotto", "Mushroom risotto", "Arborio rice with mushrooms.", VEG),
    recipe("bean-tacos", "Black bean tacos", "Black beans, avocado and salsa.", VEG),
    recipe("veg-lasagne", "Vegetable lasagne", "Layers of courgette, spinach, ricotta.", VEG),
    recipe("beef-stroganoff", "Beef stroganoff", "Beef strips in a creamy sauce."),
    recipe("roast-chicken", "Roast chicken dinner", "A whole chicken roasted with garlic."),
    recipe("pork-chops", "Pork chops with apples", "Pan-fried pork chops for dinner."),
    recipe("lamb-kebabs", "Lamb kebabs", "Grilled lamb skewers with onions."),
    recipe("bolognese", "Spaghetti bolognese", "Minced beef and tomato sauce on pasta."),
    recipe("fish-pie", "Fish pie", "Cod and prawns under mashed potato."),
]
FILMS: list[CatalogItem] = [
    Video(id="alien", title="Alien", genre=["Horror", "Sci-Fi"],
          description="Directed by Ridley Scott. A spaceship crew meets a deadly alien."),
    Video(id="interstellar", title="Interstellar", genre=["Sci-Fi", "Drama"],
          description="Directed by Christopher Nolan. Astronauts travel through a wormhole."),
    Video(id="notting-hill", title="Notting Hill", genre=["Romance", "Comedy"],
          description="Directed by Roger Michell. A bookseller falls for a film star."),
]  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogIndex]:
    idx = CatalogIndex(tmp_path_factory.mktemp("personalise"), MiniLMEmbedder())
    idx.upsert([*ENGAGED, *RECIPES, *FILMS])
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def vectors(index: CatalogIndex) -> ItemVectors:
    return ItemVectors(index)


def profile_for(items: Sequence[CatalogItem], vectors: ItemVectors) -> Profile:
    events = [
        Event(user_id="u", item_id=i.id, vertical=i.vertical, kind="click", ts=T0) for i in items
    ]
    found = vectors([item_key(i.vertical, i.id) for i in items])
    return build_profile("u", events, found, ProfileConfig(), revision=1, key="t")


def module(index: CatalogIndex, vertical: Vertical, text: str, score: float) -> Module:
    hits = index.search(vertical, text, None, k=20)
    items = [ResultItem.from_hit(h) for h in hits if h.item not in ENGAGED]
    return Module(id=vertical, title=text, vertical=vertical, reason="", score=score, items=items)


def mean_veg_rank(m: Module) -> float:
    return float(np.mean([n for n, i in enumerate(m.items) if "vegetarian" in i.diet]))


def test_a_vegetarian_sees_vegetarian_dinners_higher_than_a_new_user(
    index: CatalogIndex, vectors: ItemVectors
) -> None:
    page = [module(index, "ideas", "dinner ideas", 0.8)]
    hits = vectors([item_key(i.vertical, i.id) for i in page[0].items])
    new_user, new_report = personalise(page, hits, None, 0.3, now=T0)
    assert new_user == page and not new_report.applied
    veggie, report = personalise(page, hits, profile_for(ENGAGED, vectors), 0.3, now=T0)
    assert report.applied and report.modules[0].items_moved > 0
    assert mean_veg_rank(veggie[0]) < mean_veg_rank(new_user[0]) - 1.0
    top4 = veggie[0].items[:4]
    assert sum("vegetarian" in i.diet for i in top4) > sum(
        "vegetarian" in i.diet for i in new_user[0].items[:4]
    )


def test_a_film_fan_gets_the_video_module_first_and_the_report_says_so(
    index: CatalogIndex, vectors: ItemVectors
) -> None:
    page = [module(index, "ideas", "dinner ideas", 0.8), module(index, "video", "films", 0.75)]
    keys = [item_key(i.vertical, i.id) for m in page for i in m.items]
    fan = profile_for(FILMS[:2], vectors)
    ranked, report = personalise(page, vectors(keys), fan, 0.5, now=T0)
    assert [m.id for m in ranked] == ["video", "ideas"]
    shifts = {s.module_id: s for s in report.modules}
    assert (shifts["video"].rank_delta, shifts["ideas"].rank_delta) == (1, -1)
    assert shifts["video"].score_delta > shifts["ideas"].score_delta


def test_keep_lets_items_from_beyond_the_cut_in_and_trims_everyone_alike(
    index: CatalogIndex, vectors: ItemVectors
) -> None:
    page = [module(index, "ideas", "dinner ideas", 0.8)]
    hits = vectors([item_key(i.vertical, i.id) for i in page[0].items])
    plain, _ = personalise(page, hits, None, 0.3, keep=3)
    assert [i.id for i in plain[0].items] == [i.id for i in page[0].items[:3]]
    mine, report = personalise(page, hits, profile_for(ENGAGED, vectors), 0.6, keep=3, now=T0)
    assert len(mine[0].items) == 3 and report.modules[0].items_new > 0


def test_weight_zero_or_no_usable_history_changes_nothing(
    index: CatalogIndex, vectors: ItemVectors
) -> None:
    page = [module(index, "ideas", "dinner ideas", 0.8)]
    hits = vectors([item_key(i.vertical, i.id) for i in page[0].items])
    same, report = personalise(page, hits, profile_for(ENGAGED, vectors), 0.0, now=T0)
    assert same == page and not report.applied
    empty = Profile(user_id="u", revision=1, key="t")
    assert personalise(page, hits, empty, 0.5)[0] == page


def test_affinity_is_the_best_weight_scaled_cosine_over_interests() -> None:
    a, b = np.eye(3, dtype=np.float32)[0], np.eye(3, dtype=np.float32)[1]
    profile = Profile(
        user_id="u", revision=1, key="t",
        interests=[Interest(medoid="m:a", vector=a.tolist(), weight=0.8, size=3),
                   Interest(medoid="m:b", vector=b.tolist(), weight=0.2, size=1)],
    )  # fmt: skip
    items = np.stack([a, b, (a + b) / np.sqrt(2), np.eye(3, dtype=np.float32)[2]])
    got = affinity(profile, items, floor=0.5)
    minor = 0.5 + 0.5 * 0.2 / 0.8
    assert got == pytest.approx([1.0, minor, 1 / np.sqrt(2), 0.0], abs=1e-6)
    empty = Profile(user_id="u", revision=1, key="t")
    assert affinity(empty, items).tolist() == [0.0] * 4


class WithoutStored:
    """An index that cannot hand out stored vectors, so `ItemVectors` re-embeds."""

    def __init__(self, index: CatalogIndex) -> None:
        self.embedder, self._index = index.embedder, index

    @property
    def version(self) -> int:
        return self._index.version

    def get(self, vertical: Vertical, ids: Sequence[str]) -> list[CatalogItem]:
        return self._index.get(vertical, ids)


def test_item_vectors_match_the_stored_ones_and_prefer_a_stored_fetch(tmp_path: Path) -> None:
    index = CatalogIndex(tmp_path / "index", MiniLMEmbedder())
    index.upsert([RECIPES[-2], FILMS[0]])
    keys = [item_key("ideas", "bolognese"), item_key("video", "alien"), "ideas:missing"]
    stored = index.embeddings("ideas", ["bolognese"])["bolognese"]
    embedded = ItemVectors(WithoutStored(index))(keys)
    assert set(embedded) == set(keys[:2])
    assert float(embedded[keys[0]] @ stored) > 0.999
    assert ItemVectors(index)(keys[:1])[keys[0]] == pytest.approx(stored, abs=1e-6)
    calls: list[tuple[str, list[str]]] = []

    def counting(vertical: Vertical, ids: list[str]) -> Mapping[str, np.ndarray]:
        calls.append((vertical, ids))
        return index.embeddings(vertical, ids)

    lookup = ItemVectors(index, fetch=counting)
    assert set(lookup(keys)) == set(keys[:2]) and len(calls) == 2
    lookup(keys[:2])
    assert len(calls) == 2
    index.upsert([recipe("new", "Vegetable soup", "Carrots and leeks.", VEG)])
    lookup(keys[:1])
    assert len(calls) == 3
    index.close()


def test_stale_profiles_move_the_page_less(index: CatalogIndex, vectors: ItemVectors) -> None:
    page = [module(index, "ideas", "dinner ideas", 0.8)]
    hits = vectors([item_key(i.vertical, i.id) for i in page[0].items])
    profile = profile_for(ENGAGED, vectors)
    _, fresh = personalise(page, hits, profile, 0.3, now=T0)
    _, stale = personalise(page, hits, profile, 0.3, now=T0 + timedelta(days=365))
    assert stale.weight < fresh.weight / 10


def test_the_item_blend_reads_the_retrievers_order_not_its_scores(
    index: CatalogIndex, vectors: ItemVectors
) -> None:
    base = module(index, "ideas", "dinner ideas", 0.8)
    hits = vectors([item_key(i.vertical, i.id) for i in base.items])
    profile = profile_for(ENGAGED, vectors)
    rescored = [i.model_copy(update={"score": 1000.0 - n * n}) for n, i in enumerate(base.items)]
    flat = [i.model_copy(update={"score": 0.03}) for i in base.items]
    orders = [
        [i.id for i in personalise([base.model_copy(update={"items": items})], hits, profile,
                                   0.3, now=T0)[0][0].items]
        for items in (base.items, rescored, flat)
    ]  # fmt: skip
    assert orders[0] == orders[1] == orders[2]
    assert orders[0] != [i.id for i in base.items]


def test_relative_affinity_spreads_a_close_pool_and_keeps_a_flat_one_flat() -> None:
    close = np.array([0.9, 1.0, 0.95, 0.92])
    assert relative(close, 0.2).tolist() == pytest.approx([0.0, 0.5, 0.25, 0.1])
    wide = np.array([0.0, 1.0, 0.5])
    assert relative(wide, 0.2).tolist() == pytest.approx([0.0, 1.0, 0.5])
    flat = np.array([0.40, 0.41, 0.40])
    assert float(relative(flat, 0.2).max()) == pytest.approx(0.05)
    assert relative(np.zeros(0), 0.2).size == 0
