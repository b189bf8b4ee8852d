"""An aspect's items must be about it, by a floor that depends on the vertical."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from agent.models import ToolResult
from agent.quality import aspect_ground
from agent.settings import Settings
from tools.catalog import Idea, Product, Vertical
from tools.contract import VERTICAL_TOOL, Hit, SubQuery

ITEMS = {
    "ideas": Idea(id="i1", title="Flourless Chocolate Cake", kind="recipe"),
    "shopping": Product(id="p1", title="Rubber Bands, 12/Pack", price=3.0),
}


def result(vertical: Vertical, aspect: str) -> ToolResult:
    sq = SubQuery(id="a1", text=aspect, tool=VERTICAL_TOOL[vertical])
    return ToolResult(subquery=sq, hits=[Hit(item=ITEMS[vertical], score=1.0)])


@pytest.fixture
def cosine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every item sits at cosine 0.48 to the aspect and the request; the gate is sure."""
    monkeypatch.setattr(aspect_ground, "relevance", lambda *_: 0.99)
    monkeypatch.setattr(aspect_ground, "request_vector", lambda *_: np.ones(3))
    monkeypatch.setattr(aspect_ground, "aspect_closeness", lambda *_: 0.48)
    monkeypatch.setattr(aspect_ground, "closeness", lambda *_: 0.48)


@pytest.mark.usefixtures("cosine")
async def test_the_same_closeness_holds_a_recipe_and_marks_a_product_stand_in_weak() -> None:
    deps: Any = SimpleNamespace(settings=Settings())
    cake = await aspect_ground.judge(deps, "cake", "ideas", result("ideas", "cake"), np.ones(3))
    band = await aspect_ground.judge(
        deps, "exercise band", "shopping", result("shopping", "exercise band"), np.ones(3)
    )
    assert cake.held and not cake.weak, cake.reason
    assert band.held and band.weak, band.reason
    floors = {"ideas": 0.5, "shopping": 0.5}
    deps.settings = Settings(explore_aspect_similarity=floors)
    gone = await aspect_ground.judge(deps, "cake", "ideas", result("ideas", "cake"), np.ones(3))
    assert not gone.held and gone.reason.startswith("items not about 'cake'")
