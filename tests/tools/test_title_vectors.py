"""The learned ranker's second view of titles: e5 vectors stored beside the index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from agent.deps import open_index
from agent.settings import Settings
from tools.embeddings import E5TitleEncoder
from tools.index import CatalogIndex
from tools.ltr import FEATURES, extract
from tools.title_vectors import TitleVectors

COL = {name: n for n, name in enumerate(FEATURES)}


@pytest.fixture(scope="module")
def encoder() -> E5TitleEncoder:
    return E5TitleEncoder()


@pytest.fixture
def index(tiny_home: Path, tmp_path: Path, encoder: E5TitleEncoder) -> Iterator[CatalogIndex]:
    home = tmp_path / "home"
    shutil.copytree(tiny_home, home)
    opened: CatalogIndex = open_index(Settings(home=home))
    opened.attach_title_encoder(encoder)
    yield opened
    opened.close()


def test_e5_puts_a_matching_title_nearer_than_an_unrelated_one(encoder: E5TitleEncoder) -> None:
    titles = ["18V cordless drill driver kit", "round white porcelain toilet seat"]
    vecs = encoder.embed_documents(titles)
    query = encoder.embed_query("battery powered drill")
    assert vecs.shape == (2, encoder.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    assert float(vecs[0] @ query) > float(vecs[1] @ query) + 0.05
    again = encoder.embed_documents(list(reversed(titles)))
    np.testing.assert_allclose(again[::-1], vecs, atol=1e-5)


def test_stored_vectors_follow_item_content_and_encoder(tmp_path: Path) -> None:
    path = tmp_path / "tv.sqlite"
    store = TitleVectors(path, "enc-a", 4)
    vecs = np.eye(4, dtype=np.float32)[:2]
    store.put("shopping", ["a", "b"], ["h1", "h2"], vecs)
    assert store.stale("shopping", {"a": "h1", "b": "h2", "c": "h3"}) == ["c"]
    assert store.stale("shopping", {"a": "changed", "b": "h2"}) == ["a"]
    got = store.get("shopping", ["b", "a", "missing"])
    assert set(got) == {"a", "b"}
    np.testing.assert_array_equal(got["b"], vecs[1])
    assert store.get("ideas", ["a"]) == {}
    assert store.has("shopping") and not store.has("ideas")
    assert store.prune("shopping", {"a"}) == 1 and store.count("shopping") == 1
    store.close()
    reopened = TitleVectors(path, "enc-a", 4)
    assert reopened.count("shopping") == 1, "vectors survive a reopen"
    reopened.close()
    other = TitleVectors(path, "enc-b", 4)
    assert other.count("shopping") == 0, "another encoder's vectors are never compared"
    other.close()


def test_pools_carry_title_cosines_once_synced(index: CatalogIndex) -> None:
    query = "black office chair"
    before = index.candidates("shopping", query, depth=10)
    assert before and all(c.semantic_score is None for c in before)
    assert index.sync_title_vectors("shopping") == index.count("shopping")
    assert index.sync_title_vectors("shopping") == 0, "nothing is embedded twice"
    pool = index.candidates("shopping", query, depth=10)
    assert all(c.semantic_score is not None for c in pool)
    rows = extract(query, pool)
    best = int(np.nanargmax(rows[:, COL["semantic_cos"]]))
    assert rows[best, COL["semantic_rank"]] == 1.0
    assert rows[best, COL["semantic_rel"]] == 0.0
    assert np.all(rows[:, COL["semantic_rel"]] <= 0.0)
    by_id = {c.id: c.semantic_score or 0.0 for c in pool}
    chairs = [by_id[i] for i in ("p1", "p2", "p3", "p4") if i in by_id]
    assert chairs and "p5" in by_id
    assert min(chairs) > by_id["p5"], "every office chair is nearer than the desk lamp"


def test_an_edited_or_deleted_item_is_re_embedded_or_dropped(index: CatalogIndex) -> None:
    index.sync_title_vectors("shopping")
    total = index.title_vector_count("shopping")
    chair = index.get("shopping", ["p1"])[0]
    index.upsert([chair.model_copy(update={"title": "Walnut standing desk"})])
    assert index.sync_title_vectors("shopping") == 1
    index.delete("shopping", ["p2"])
    assert index.sync_title_vectors("shopping") == 0
    assert index.title_vector_count("shopping") == total - 1
    pool = {c.id: c for c in index.candidates("shopping", "standing desk", depth=10)}
    assert pool["p1"].semantic_score is not None and "p2" not in pool


def test_without_vectors_the_semantic_features_stay_missing() -> None:
    from tools.ltr import Candidate

    rows = extract("drill", [Candidate(id="1", title="Cordless Drill")])
    assert np.isnan(rows[0, COL["semantic_cos"]]) and np.isnan(rows[0, COL["semantic_rank"]])


def test_a_failing_query_encoder_leaves_the_pool_whole(index: CatalogIndex) -> None:
    index.sync_title_vectors("shopping")

    class Broken:
        name, dim = E5TitleEncoder.name, E5TitleEncoder.dim

        def embed_documents(self, texts: list[str]) -> np.ndarray:
            raise AssertionError("not called: every title already has its vector")

        def embed_query(self, text: str) -> np.ndarray:
            raise RuntimeError("encoder crashed")

    index.attach_title_encoder(Broken())
    pool = index.candidates("shopping", "office chair", depth=10)
    assert pool and all(c.semantic_score is None for c in pool)
    assert all(c.lexical_rank is not None or c.dense_rank is not None for c in pool)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("taladro inalámbrico", 0),
        ("asiento de inodoro redondo", 1),
        ("lámpara de escritorio", 2),
        ("perceuse sans fil", 0),
    ],
)
def test_e5_matches_a_query_in_another_language(
    encoder: E5TitleEncoder, query: str, match: int
) -> None:
    titles = ["18V cordless drill driver kit", "round white porcelain toilet seat",
              "LED desk lamp with USB port"]  # fmt: skip
    scores = encoder.embed_documents(titles) @ encoder.embed_query(query)
    assert int(np.argmax(scores)) == match


def test_an_unreadable_vector_file_is_moved_aside_and_rebuilt(
    tiny_home: Path, tmp_path: Path, encoder: E5TitleEncoder
) -> None:
    from tools.title_vectors import FILE_NAME

    home = tmp_path / "home"
    shutil.copytree(tiny_home, home)
    path = Settings(home=home).index_dir / FILE_NAME
    path.write_bytes(b"not a database" * 200)
    damaged = path.read_bytes()
    index: CatalogIndex = open_index(Settings(home=home))
    try:
        index.attach_title_encoder(encoder)
        assert path.with_name(FILE_NAME + ".damaged").read_bytes() == damaged
        assert index.sync_title_vectors("shopping") == index.count("shopping")
        pool = index.candidates("shopping", "office chair", depth=5)
        assert pool and all(c.semantic_score is not None for c in pool)
    finally:
        index.close()
