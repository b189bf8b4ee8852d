"""Assess keeps a stated bound when the items inside it are about as close as those beyond."""

from __future__ import annotations

from agent.models import Module, ResultItem, ToolResult
from agent.nodes.assess import WITHIN_BOUNDS_CLOSENESS, within_bounds
from agent.nodes.compose import compose
from agent.nodes.rank import gate
from agent.quality.relevance import load_gate
from tools.catalog import Product
from tools.contract import Hit, SubQuery
from tools.filters import Filters


def result(price_max: float, *sims: float, title: str = "USB Mouse") -> ToolResult:
    sq = SubQuery(id="q1", text="computer mice", tool="search_products",
                  filters=Filters(price_max=price_max))  # fmt: skip
    hits = [
        Hit(
            item=Product(id=f"p{n}", title=title, price=price_max - 1),
            score=1.0,
            lexical_rank=n + 1,
            similarity=s,
        )  # fmt: skip
        for n, s in enumerate(sims)
    ]
    return ToolResult(subquery=sq, hits=hits)


def test_in_bound_items_about_as_close_as_those_beyond_are_kept() -> None:
    floor = load_gate().similarity_floor
    inside, beyond = result(40, floor + 0.05, 0.3), result(70, floor + 0.06)
    kept = within_bounds(inside, beyond)
    assert kept is not None and kept.subquery.filters.price_max == 40
    assert kept.within_bounds and "under $40" in kept.within_bounds


def test_a_bound_is_broken_when_beyond_it_is_clearly_closer() -> None:
    high = load_gate().similarity_floor + 0.2
    assert (
        within_bounds(result(40, high * WITHIN_BOUNDS_CLOSENESS - 0.05), result(70, high)) is None
    )


def test_in_bound_items_far_in_meaning_are_not_kept() -> None:
    low = load_gate().similarity_floor - 0.05
    assert within_bounds(result(40, low), result(70, low)) is None
    assert within_bounds(result(40), result(70, 0.9)) is None


def test_the_gate_keeps_and_the_module_discloses_a_kept_bound() -> None:
    floor = load_gate().similarity_floor
    kept = within_bounds(result(40, floor + 0.1, title="Kettle"), result(70, floor + 0.1))
    assert kept is not None
    [module] = compose([kept], k=5)
    assert "under $40" in module.reason
    shown, odds = gate([module], [kept])
    assert shown == [module] and odds["q1"] < load_gate().threshold
    unmarked = kept.model_copy(update={"within_bounds": None})
    other = Module(id="q1", title="t", vertical="shopping", reason="r",
                   items=[ResultItem.from_hit(kept.hits[0])])  # fmt: skip
    assert gate([other], [unmarked])[0] == []
