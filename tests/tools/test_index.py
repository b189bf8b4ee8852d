"""The hybrid catalog index: filter push-down, idempotent upserts, repair, safety, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from tools import store as store_module
from tools.catalog import CatalogItem, Idea, Product, Video
from tools.embeddings import MiniLMEmbedder
from tools.filters import Filters
from tools.index import CHROMA_DIR, DB_NAME, CatalogIndex, IndexUnavailable
from tools.lexical import LexicalSearcher, match_expression, query_terms
from tools.pushdown import SqlPredicate
from tools.rows import build_row
from tools.store import ItemStore

MODES = ("hybrid", "lexical", "dense")


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def index(tmp_path: Path, embedder: MiniLMEmbedder) -> Iterator[CatalogIndex]:
    idx = CatalogIndex(tmp_path / "index", embedder)
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def filled(
    tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder
) -> Iterator[CatalogIndex]:
    """A read-only index of `catalog()`, shared by the tests that only search."""
    idx = CatalogIndex(tmp_path_factory.mktemp("filled"), embedder)
    idx.upsert(catalog())
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def headphones(
    tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedder
) -> Iterator[CatalogIndex]:
    """295 expensive headphones that match the query well, 5 cheap items that match weakly."""
    idx = CatalogIndex(tmp_path_factory.mktemp("headphones"), embedder)
    idx.upsert(_headphones())
    yield idx
    idx.close()


def catalog() -> list[CatalogItem]:
    """A small mixed catalog; every item carries the tag 'sample' for lexical coverage."""
    tag = ["sample"]
    return [
        Product(
            id="p-red",
            title="Red wool scarf",
            price=18.0,
            colors=["red"],
            brand="Knitco",
            category_path=["Accessories", "Scarves"],
            rating=4.1,
            tags=tag,
        ),
        Product(
            id="p-blue",
            title="Blue denim jacket",
            price=79.0,
            colors=["blue", "white"],
            brand="Denimhaus",
            category_path=["Clothing", "Jackets"],
            rating=4.7,
            tags=tag,
        ),
        Product(
            id="p-lamp",
            title="Rattan table lamp",
            price=45.0,
            colors=["beige"],
            brand="KNITCO",
            category_path=["Home", "Lighting"],
            availability="out_of_stock",
            tags=tag,
        ),
        Product(id="p-noprice", title="Mystery box", colors=["red"], tags=tag),
        Idea(
            id="i-curry",
            title="Chickpea curry",
            category="Dinner",
            total_time_min=30,
            diet=["Vegan", "gluten-free"],
            ingredients=["chickpeas", "spinach"],
            tags=tag,
        ),
        Idea(
            id="i-pasta",
            title="Spaghetti carbonara",
            category="dinner",
            total_time_min=25,
            ingredients=["pasta", "egg", "bacon"],
            tags=tag,
        ),
        Idea(id="i-salad", title="Green salad", category="Lunch", diet=["vegan"], tags=tag),
        Video(
            id="v-short",
            title="Knitting basics",
            duration_s=240,
            genre=["Crafts"],
            published=date(2021, 3, 1),
            tags=tag,
        ),
        Video(
            id="v-long",
            title="Ocean documentary",
            duration_s=5400,
            genre=["Documentary", "Nature"],
            published=date(2015, 6, 1),
            tags=tag,
        ),
        Video(id="v-undated", title="Live cooking stream", tags=tag),
    ]


FILTER_CASES = [
    ("shopping", Filters(price_max=20), {"p-red"}),
    ("shopping", Filters(price_min=40, price_max=80), {"p-blue", "p-lamp"}),
    ("shopping", Filters(colors=("RED", "white")), {"p-red", "p-blue", "p-noprice"}),
    ("shopping", Filters(brands=("knitco",)), {"p-red", "p-lamp"}),
    ("shopping", Filters(category="lighting"), {"p-lamp"}),
    ("shopping", Filters(availability="out_of_stock"), {"p-lamp"}),
    ("shopping", Filters(colors=("red",), price_max=100), {"p-red"}),
    ("shopping", Filters(diet=("vegan",), duration_max_s=10), None),
    ("ideas", Filters(category="DINNER"), {"i-curry", "i-pasta"}),
    ("ideas", Filters(diet=("vegan", "gluten-free")), {"i-curry"}),
    ("ideas", Filters(diet=("vegan",)), {"i-curry", "i-salad"}),
    ("ideas", Filters(total_time_max_min=28), {"i-pasta"}),
    ("ideas", Filters(price_max=1), None),
    ("video", Filters(duration_max_s=600), {"v-short"}),
    ("video", Filters(duration_min_s=600), {"v-long"}),
    ("video", Filters(year_min=2020), {"v-short"}),
    ("video", Filters(year_max=2020), {"v-long"}),
    ("video", Filters(category="nature"), {"v-long"}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("vertical", "filters", "expected"), FILTER_CASES)
def test_filters_select_the_same_items_in_every_mode(
    filled: CatalogIndex, vertical: str, filters: Filters, expected: set[str] | None, mode: str
) -> None:
    index = filled
    everything = {i.id for i in catalog() if i.vertical == vertical}
    want = everything if expected is None else expected
    hits = index.search(vertical, "sample", filters, k=50, mode=mode)  # type: ignore[arg-type]
    assert {h.item.id for h in hits} == want
    browsed = index.search(vertical, "  ", filters, k=50)  # type: ignore[arg-type]
    assert {h.item.id for h in browsed} == want


def _headphones() -> list[Product]:
    loud = [
        Product(
            id=f"exp-{n}",
            title=f"Wireless noise cancelling headphones {n}",
            description="Over-ear wireless headphones with noise cancelling.",
            price=150.0 + n,
            tags=["headphones", "wireless"],
        )
        for n in range(295)
    ]
    cheap = [
        Product(
            id=f"cheap-{n}",
            title=f"Cable organiser clip {n}",
            description="Keeps your desk cables and headphones cords tidy.",
            price=5.0 + n,
        )
        for n in range(5)
    ]
    return loud + cheap


@pytest.mark.parametrize("mode", MODES)
def test_filter_is_applied_before_truncation(headphones: CatalogIndex, mode: str) -> None:
    index = headphones
    query = "wireless noise cancelling headphones"
    unfiltered = index.search("shopping", query, k=50, candidates=50, mode=mode)  # type: ignore[arg-type]
    assert not any(h.item.id.startswith("cheap-") for h in unfiltered)
    hits = index.search("shopping", query, Filters(price_max=20), k=10, candidates=20, mode=mode)  # type: ignore[arg-type]
    assert {h.item.id for h in hits} == {f"cheap-{n}" for n in range(5)}


def test_hits_carry_ranks_and_fused_scores(filled: CatalogIndex) -> None:
    index = filled
    hits = index.search("ideas", "spaghetti carbonara pasta", k=3)
    top = hits[0]
    assert top.item.id == "i-pasta"
    assert top.lexical_rank == 1 and top.dense_rank == 1
    assert top.score == pytest.approx(2 / 61)
    normalized = index.search("ideas", "spaghetti carbonara pasta", k=3, fusion="normalized")
    assert normalized[0].item.id == "i-pasta"
    assert normalized[0].score == pytest.approx(1.0)


def test_stopwords_do_not_block_matches(index: CatalogIndex) -> None:
    index.upsert([Idea(id="i-bed", title="Boho bedroom makeover", description="Rattan and plants")])
    hits = index.search("ideas", "ideas for a bedroom", mode="lexical")
    assert [h.item.id for h in hits] == ["i-bed"]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "AND",
        "red AND",
        "OR OR",
        "NOT blue",
        "*",
        "scarf*",
        "(",
        "(red",
        ")",
        "NEAR(red scarf",
        "title:red",
        "-red",
        "^red",
        "red + {blue}",
        "'; DROP TABLE items;--",
        "\x00",
        "🙂 émoji",
        "a " * 500,
    ],
)
def test_fts_syntax_in_user_text_is_harmless(filled: CatalogIndex, text: str) -> None:
    for mode in MODES:
        filled.search("shopping", text, k=5, mode=mode)  # type: ignore[arg-type]
    assert filled.count() == len(catalog())


def test_stored_embeddings_match_the_embedder(filled: CatalogIndex) -> None:
    stored = filled.embeddings("ideas", ["i-pasta", "missing", "i-pasta"])
    assert list(stored) == ["i-pasta"]
    (pasta,) = filled.get("ideas", ["i-pasta"])
    fresh = filled.embedder.embed_documents([build_row(pasta).embed_text])[0]
    assert stored["i-pasta"].shape == (384,)
    assert float(stored["i-pasta"] @ fresh) > 0.999


def test_empty_text_browses_by_rating_then_title(filled: CatalogIndex) -> None:
    index = filled
    hits = index.search("shopping", "", k=10)
    assert [h.item.id for h in hits] == ["p-blue", "p-red", "p-noprice", "p-lamp"]
    assert all(h.score == 0.0 and h.lexical_rank is None for h in hits)


@contextmanager
def raw_collection(path: Path, vertical: str) -> Iterator[Any]:
    """The vertical's Chroma collection, opened with a client of its own."""
    client: Any = chromadb.PersistentClient(
        path=str(path / CHROMA_DIR), settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        yield client.get_collection(f"tessera-{vertical}")
    finally:
        client.close()


def _chroma_ids(path: Path, vertical: str) -> set[str]:
    with raw_collection(path, vertical) as col:
        return set(col.get(include=[])["ids"])


def test_reupsert_is_idempotent(index: CatalogIndex) -> None:
    first = index.upsert(catalog(), batch_size=3)
    assert (first.added, first.updated, first.unchanged) == (len(catalog()), 0, 0)
    version = index.version
    second = index.upsert(catalog())
    assert (second.added, second.updated, second.unchanged) == (0, 0, len(catalog()))
    assert index.version == version


def test_edited_row_is_updated_in_both_backends(index: CatalogIndex) -> None:
    index.upsert(catalog())
    edited = Product(
        id="p-red", title="Crimson cashmere scarf", price=120.0, colors=["green"], tags=["sample"]
    )
    version = index.version
    report = index.upsert([edited])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert index.version == version + 1
    assert index.get("shopping", ["p-red"]) == [edited]
    for mode in MODES:
        red = index.search("shopping", "scarf", Filters(colors=("red",)), k=10, mode=mode)  # type: ignore[arg-type]
        assert "p-red" not in {h.item.id for h in red}
        cheap = index.search("shopping", "scarf", Filters(price_max=20), k=10, mode=mode)  # type: ignore[arg-type]
        assert "p-red" not in {h.item.id for h in cheap}
        green = index.search("shopping", "cashmere", Filters(colors=("green",)), mode=mode)  # type: ignore[arg-type]
        assert [h.item.id for h in green] == ["p-red"]


def test_prune_and_delete_remove_from_both_backends(index: CatalogIndex) -> None:
    index.upsert(catalog())
    removed = index.prune("video", keep_ids={"v-short"})
    assert removed == 2
    assert index.count("video") == 1
    assert _chroma_ids(index.path, "video") == {"v-short"}
    assert index.delete("ideas", ["i-pasta", "nope"]) == 1
    assert _chroma_ids(index.path, "ideas") == {"i-curry", "i-salad"}
    assert index.get("ideas", ["i-pasta"]) == []
    assert index.count() == len(catalog()) - 3


def test_rerun_repairs_a_half_written_batch(
    index: CatalogIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: object, rows: object) -> None:
        raise OSError("disk went away")

    with monkeypatch.context() as patch:
        patch.setattr(store_module.ItemStore, "write", crash)
        with pytest.raises(OSError):
            index.upsert(catalog())
    assert index.count() == 0
    assert index.version == 0
    report = index.upsert(catalog())
    assert report.added == len(catalog())
    assert index.count() == len(catalog())
    assert [h.item.id for h in index.search("video", "ocean documentary")][0] == "v-long"


def test_rerun_restores_vectors_missing_from_chroma(index: CatalogIndex) -> None:
    index.upsert(catalog())
    with raw_collection(index.path, "video") as col:
        col.delete(ids=["v-long"])
    report = index.upsert(catalog())
    assert (report.updated, report.unchanged) == (1, len(catalog()) - 1)
    assert "v-long" in _chroma_ids(index.path, "video")


def test_reopen_keeps_items_and_version(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    first = CatalogIndex(tmp_path / "idx", embedder)
    first.upsert(catalog())
    version = first.version
    first.close()
    again = CatalogIndex(tmp_path / "idx", embedder, create=False)
    try:
        assert again.version == version
        assert again.count() == len(catalog())
        assert again.search("shopping", "denim jacket", k=1)[0].item.id == "p-blue"
    finally:
        again.close()


def test_missing_index_raises_with_a_hint(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    with pytest.raises(IndexUnavailable, match="tessera index --starter"):
        CatalogIndex(tmp_path / "absent", embedder, create=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexUnavailable, match="tessera index --starter"):
        CatalogIndex(tmp_path / "empty", embedder, create=False)


def test_corrupt_sqlite_raises(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / DB_NAME).write_bytes(b"this is not a database" * 200)
    with pytest.raises(IndexUnavailable, match="unreadable"):
        CatalogIndex(tmp_path / "idx", embedder)


class OtherEmbedder:
    name = "other-model"
    dim = 8

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_other_embedder_is_refused(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    CatalogIndex(tmp_path / "idx", embedder).close()
    with pytest.raises(IndexUnavailable, match="other-model"):
        CatalogIndex(tmp_path / "idx", OtherEmbedder())


def test_facets_reflect_the_catalog_and_follow_the_version(index: CatalogIndex) -> None:
    index.upsert(catalog())
    facets = index.facets()
    assert facets.colors == {"red": 2, "blue": 1, "white": 1, "beige": 1}
    assert facets.brands == {"knitco": 2, "denimhaus": 1}
    assert facets.has("categories", "Scarves") and facets.has("genres", "nature")
    assert facets.idea_categories == {"dinner": 2, "lunch": 1}
    assert facets.diets == {"vegan": 2, "gluten-free": 1}
    assert facets.price_range == (18.0, 79.0)
    assert facets.counts == {"shopping": 4, "ideas": 3, "video": 3}
    assert index.facets() is facets
    index.delete("shopping", ["p-blue"])
    assert index.facets() is not facets
    assert "denimhaus" not in index.facets().brands


async def test_parallel_searches_across_verticals(filled: CatalogIndex) -> None:
    index = filled
    queries = [("shopping", "red scarf"), ("ideas", "vegan curry"), ("video", "ocean")] * 4
    expected = [[h.item.id for h in index.search(v, q)] for v, q in queries]  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(asyncio.to_thread(index.search, v, q) for v, q in queries)  # type: ignore[arg-type]
    )
    assert [[h.item.id for h in hits] for hits in results] == expected


def test_bad_arguments_are_clear_errors(filled: CatalogIndex) -> None:
    index = filled
    with pytest.raises(ValueError, match="unknown vertical"):
        index.search("books", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown search mode"):
        index.search("ideas", "x", mode="sparse")  # type: ignore[arg-type]
    assert index.search("ideas", "x", k=0) == []


def test_query_terms_and_match_expression() -> None:
    assert query_terms("Ideas for a bedroom!") == ["ideas", "bedroom"]
    assert query_terms("the of") == ["the", "of"]
    assert query_terms("red red RED") == ["red"]
    assert query_terms("?!* ()") == []
    assert match_expression(["red", "near"]) == '"red" OR "near"'
    assert match_expression(['a"b']) == '"a""b"'
    assert match_expression([]) is None


def test_very_common_terms_are_left_out_of_large_queries(tmp_path: Path) -> None:
    store = ItemStore(tmp_path / "lex.sqlite", create=True)
    try:
        rows = [
            build_row(Idea(id=f"i{n}", title=f"Common dish {n}", description="common"))
            for n in range(8)
        ]
        rows.append(build_row(Idea(id="i-rare", title="Common saffron rice")))
        store.write(rows)
        lexical = LexicalSearcher(store, common_fraction=0.5, min_rows=1)
        everything = SqlPredicate()
        assert [i for i, _ in lexical.search("ideas", "common saffron", everything, 50)] == [
            "i-rare"
        ]
        assert len(lexical.search("ideas", "common", everything, 50)) == 9
        assert len(lexical.search("ideas", "common unknownword", everything, 50)) == 9
        assert lexical.search("ideas", "unknownword", everything, 50) == []
        small = LexicalSearcher(store, common_fraction=0.5, min_rows=100)
        assert len(small.search("ideas", "common saffron", everything, 50)) == 9
    finally:
        store.close()


def test_hits_carry_their_cosine_to_the_query(filled: CatalogIndex) -> None:
    hits = filled.search("ideas", "spaghetti carbonara pasta", k=3)
    query = filled.embedder.embed_query("spaghetti carbonara pasta")
    stored = filled.embeddings("ideas", [h.item.id for h in hits])
    for h in hits:
        assert h.similarity == pytest.approx(float(np.dot(stored[h.item.id], query)), abs=1e-4)
    lexical = filled.search("ideas", "spaghetti carbonara pasta", k=3, mode="lexical")
    assert all(h.similarity is None for h in lexical)


def test_an_irregular_plural_also_searches_its_singular(index: CatalogIndex) -> None:
    assert query_terms("computer mice") == ["computer", "mice", "mouse"]
    index.upsert([Product(id="p-mouse", title="Wireless Mouse", price=9.0)])
    hits = index.search("shopping", "mice", mode="lexical")
    assert [h.item.id for h in hits] == ["p-mouse"]
