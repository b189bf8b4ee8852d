"""Facet precision: a genre listed late ranks below the same genre listed first."""

from __future__ import annotations

from pathlib import Path

from agent.deps import open_index
from agent.settings import Settings
from tools.catalog import Video
from tools.facet_weight import facet_position, item_weight, position_weight
from tools.filters import Filters


def test_position_weights_fall_with_the_position() -> None:
    assert facet_position(["Drama", "Comedy"], "comedy") == 1
    assert facet_position(["Drama"], "comedy") is None
    assert position_weight(0) > position_weight(1) > position_weight(4)
    late = Video(id="x", title="x", genre=["Action", "Crime", "Drama", "Thriller", "Comedy"])
    first = Video(id="y", title="y", genre=["Comedy"])
    comedy = Filters(category="comedy")
    assert item_weight(first, comedy) > item_weight(late, comedy)
    assert item_weight(late, None) == 1.0


def test_browsing_and_search_put_primary_values_first(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    index = open_index(settings, create=True)
    try:
        index.upsert(
            [
                Video(id="late", title="Heist night", rating=4.5,
                      genre=["Action", "Crime", "Drama", "Thriller", "Comedy"]),
                Video(id="mid", title="Heist day", rating=4.0, genre=["Drama", "Comedy"]),
                Video(id="first", title="Heist party", rating=2.0, genre=["Comedy"]),
            ]
        )  # fmt: skip
        comedy = Filters(category="comedy")
        browsed = [h.item.id for h in index.search("video", "", comedy, k=3)]
        searched = [h.item.id for h in index.search("video", "heist", comedy, k=3)]
    finally:
        index.close()
    assert browsed == ["first", "mid", "late"]
    assert searched[0] == "first" and searched[-1] == "late"
