"""Corrupt copies of a real index: damaged vectors are found at open, searches fall back to
lexical and say so, /healthz and `tessera index --check` report it, `--repair` mends it."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.cache import Caches
from agent.cli.index import run_index
from agent.deps import Deps, open_index
from agent.settings import Settings
from tests.fakes import api_catalog, serve_app
from tools.catalog import CatalogItem, Video
from tools.vector import VectorStore

WORDS = "oak pine steel glass wool linen brass copper velvet rattan leather marble".split()
TOPICS = "space pirates cooking horses trains whales deserts robots castles jazz".split()
VIDEOS = 1050
"""Enough for Chroma to move the vectors from its log into the HNSW files on disk."""


def films() -> list[CatalogItem]:
    return [
        Video(
            id=f"film-{n}",
            title=f"{WORDS[n % 12]} {TOPICS[(n // 12) % 10]} film {n}",
            genre=["Drama"],
        )
        for n in range(VIDEOS)
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("damage-source")
    index = open_index(Settings(home=home), create=True)
    index.upsert([*api_catalog(), *films()])
    index.close()
    return home


def segment(home: Path, vertical: str) -> Path:
    chroma = home / "index" / "chroma"
    with sqlite3.connect(chroma / "chroma.sqlite3") as con:
        (segment_id,) = con.execute(
            "SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
            "WHERE c.name = ? AND s.scope = 'VECTOR'",
            (f"tessera-{vertical}",),
        ).fetchone()
    return chroma / segment_id


def delete_segment(home: Path) -> None:
    shutil.rmtree(segment(home, "video"))


def truncate_vectors(home: Path) -> None:
    path = segment(home, "video") / "data_level0.bin"
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)


def truncate_lengths(home: Path) -> None:
    path = segment(home, "video") / "length.bin"
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - 8)


def copy(built: Path, tmp_path: Path, damage: Callable[[Path], None] | None) -> Path:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    if damage:
        damage(home)
    return home


def _ns(**kw: object) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def test_a_whole_index_reports_no_damage(built: Path, tmp_path: Path) -> None:
    home = copy(built, tmp_path, None)
    index = open_index(Settings(home=home))
    try:
        assert index.dense_problems() == {}
        checks = {c.vertical: c for c in index.check()}
    finally:
        index.close()
    assert checks["video"].items == checks["video"].vectors == VIDEOS + 2
    assert checks["video"].found_self == checks["video"].sampled > 0
    assert run_index(_ns(check=True, repair=False), Settings(home=home)) == 0


@pytest.mark.parametrize("damage", [delete_segment, truncate_vectors, truncate_lengths])
async def test_damaged_vectors_fall_back_to_lexical_and_are_reported(
    built: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    home = copy(built, tmp_path, damage)
    settings = Settings(home=home, planner="rule")
    index = open_index(settings)
    try:
        assert "video" in index.dense_problems() and "shopping" not in index.dense_problems()
        deps = Deps(settings=settings, index=index, caches=Caches())
        async with serve_app(settings, deps) as client:
            health = (await client.get("/healthz")).json()
            page = (await client.post("/v1/search", json={"query": "oak space films"})).json()
    finally:
        index.close()
    assert health["status"] == "degraded" and "video" in health["index"]["vectors"]
    videos = [m for m in page["modules"] if m["vertical"] == "video"]
    assert videos and videos[0]["items"][0]["title"].startswith("oak space film")
    assert any("lexical only" in s["detail"] for s in page["trace"]["steps"])
    assert run_index(_ns(check=True, repair=False), Settings(home=home)) == 1


@pytest.mark.parametrize("damage", [delete_segment, truncate_vectors])
def test_repair_rebuilds_a_damaged_vertical(
    built: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    home = copy(built, tmp_path, damage)
    assert run_index(_ns(check=False, repair=True), Settings(home=home)) == 0
    index = open_index(Settings(home=home))
    try:
        assert index.dense_problems() == {}
        hits = index.search("video", "oak space film", k=3, mode="dense")
    finally:
        index.close()
    assert hits and all(h.item.title.startswith("oak space film") for h in hits)


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (delete_segment, "segment folder is missing"),
        (truncate_vectors, "data_level0.bin"),
        (truncate_lengths, "length.bin"),
    ],
)
def test_damaged_files_are_found_without_loading_them(
    built: Path, tmp_path: Path, damage: Callable[[Path], None], named: str
) -> None:
    home = copy(built, tmp_path, damage)
    vectors = VectorStore(home / "index" / "chroma", create=False, embedder_name="any")
    try:
        problems = {v: vectors.files_problem(v) for v in ("ideas", "shopping", "video")}
    finally:
        vectors.close()
    assert problems["video"] is not None and named in problems["video"]
    assert problems["shopping"] is None and problems["ideas"] is None


def test_repair_re_embeds_only_what_is_missing(built: Path, tmp_path: Path) -> None:
    home = copy(built, tmp_path, None)
    vectors = VectorStore(home / "index" / "chroma", create=False, embedder_name="any")
    vectors.delete("video", ["film-3", "film-700", "film-1001"])
    vectors.delete("shopping", ["lamp-2"])
    vectors.close()
    index = open_index(Settings(home=home))
    try:
        assert set(index.dense_problems()) == {"video", "shopping"}
        assert {c.vertical: c.missing for c in index.check()} == {
            "ideas": 0,
            "shopping": 1,
            "video": 3,
        }
        reports = {r.vertical: r for r in index.repair()}
        assert [c.problem for c in index.check()] == [None, None, None]
    finally:
        index.close()
    assert reports["video"].embedded == 3 and not reports["video"].rebuilt
    assert reports["shopping"].embedded == 1 and reports["ideas"].embedded == 0
