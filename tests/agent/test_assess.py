"""Assess keeps a stated bound whenever the items inside it are near in meaning."""

from __future__ import annotations

from agent.models import Module, ResultItem, ToolResult
from agent.nodes.assess import relax, within_bounds
from agent.nodes.compose import compose
from agent.nodes.gate import gate
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


def test_in_bound_items_near_in_meaning_are_kept() -> None:
    floor = load_gate().floor("shopping")
    kept = within_bounds(result(40, floor + 0.01, 0.3))
    assert kept is not None and kept.subquery.filters.price_max == 40
    assert kept.within_bounds and "under $40" in kept.within_bounds


def test_a_bound_is_kept_however_much_closer_items_beyond_it_are() -> None:
    floor = load_gate().floor("shopping")
    assert within_bounds(result(40, floor + 0.02)) is not None
    assert within_bounds(result(40, floor - 0.02)) is None


def test_in_bound_items_far_in_meaning_are_not_kept() -> None:
    low = load_gate().floor("shopping") - 0.05
    assert within_bounds(result(40, low)) is None
    assert within_bounds(result(40)) is None


def test_a_widened_bound_says_nothing_relevant_met_it() -> None:
    step = relax(Filters(price_max=25))
    assert step is not None
    wider, phrase = step
    assert wider.price_max == 43.75
    assert phrase == "nothing relevant under $25, so under $43.75"
    years = relax(Filters(year_min=1990, year_max=1999))
    assert years is not None and years[1] == "nothing relevant 1990-1999, so any year"


def test_the_gate_keeps_and_the_module_discloses_a_kept_bound() -> None:
    floor = load_gate().floor("shopping")
    kept = within_bounds(result(40, floor + 0.1, title="Kettle"))
    assert kept is not None
    [module] = compose([kept], k=5)
    assert "under $40" in module.reason
    assert gate([module], [kept])[0] == [module]
    far = [h.model_copy(update={"similarity": 0.05}) for h in kept.hits]
    unmarked = kept.model_copy(update={"within_bounds": None, "hits": far})
    other = Module(id="q1", title="t", vertical="shopping", reason="r",
                   items=[ResultItem.from_hit(kept.hits[0])])  # fmt: skip
    assert gate([other], [unmarked])[0] == []
