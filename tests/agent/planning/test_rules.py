"""Rule planner, follow-up refinement and filter relaxation."""

from __future__ import annotations

import pytest

from agent.nodes.assess import relax
from agent.planning.rules import EmptyPlan, rule_plan
from agent.understand.reader import understand
from agent.understand.refine import refine
from tests.fakes import VOCAB
from tools.filters import Filters


def test_multi_intent_routes_each_clause() -> None:
    plan = rule_plan(understand("boho bedroom ideas and a rattan headboard under $200", VOCAB))
    assert [(sq.tool, sq.text) for sq in plan.subqueries] == [
        ("search_ideas", "boho bedroom"),
        ("search_products", "rattan headboard"),
    ]
    assert plan.subqueries[1].filters.price_max == 200
    assert plan.subqueries[0].filters.is_empty()


def test_uncued_query_fans_out_with_lower_weight() -> None:
    plan = rule_plan(understand("summer picnic", VOCAB))
    assert {sq.tool for sq in plan.subqueries} == {
        "search_ideas",
        "search_products",
        "search_videos",
    }
    assert all(sq.weight < 1 for sq in plan.subqueries)


def test_filters_only_go_to_verticals_that_have_them() -> None:
    plan = rule_plan(understand("red picnic blanket", VOCAB))
    assert [sq.tool for sq in plan.subqueries] == ["search_products"]


def test_at_most_four_subqueries() -> None:
    text = "tea and coffee ideas, yoga mat under $30, horror movies, soup recipes and red binders"
    assert len(rule_plan(understand(text, VOCAB)).subqueries) <= 4


def test_empty_request_raises() -> None:
    with pytest.raises(EmptyPlan):
        rule_plan(understand("  the  ", VOCAB))


def test_cheaper_follow_up_lowers_the_ceiling() -> None:
    first = rule_plan(understand("office chairs under $200", VOCAB))
    follow = refine(understand("cheaper", VOCAB), first, 190, VOCAB)
    assert follow is not None and follow.refinement is not None
    assert follow.refinement.kind == "cheaper"
    assert follow.segments[0].filters.price_max == pytest.approx(140)


def test_switch_vertical_follow_up() -> None:
    first = rule_plan(understand("pasta carbonara recipes", VOCAB))
    follow = refine(understand("show me videos instead", VOCAB), first, None, VOCAB)
    assert follow is not None
    assert [(s.vertical, s.topic) for s in follow.segments] == [("video", "pasta carbonara")]


def test_colour_follow_up_applies_to_products_only() -> None:
    first = rule_plan(understand("backpack under $80 and hiking movies", VOCAB))
    follow = refine(understand("only in blue", VOCAB), first, None, VOCAB)
    assert follow is not None
    by_vertical = {s.vertical: s.filters for s in follow.segments}
    assert by_vertical["shopping"].colors == ("blue",)
    assert by_vertical["shopping"].price_max == 80
    assert by_vertical["video"].colors == ()


def test_new_request_is_not_a_follow_up() -> None:
    first = rule_plan(understand("office chairs under $200", VOCAB))
    cake = understand("chocolate cake recipes for a birthday", VOCAB)
    assert refine(cake, first, None, VOCAB) is None


def test_relax_widens_price_before_dropping_colour() -> None:
    filters = Filters(colors=("red",), price_max=20)
    relaxed = relax(filters)
    assert relaxed is not None
    wider, phrase = relaxed
    assert wider.price_max == 35 and wider.colors == ("red",)
    assert "under $35" in phrase
    assert relax(Filters()) is None


def test_relax_never_undoes_a_follow_up() -> None:
    from agent.nodes.assess import locked_fields
    from agent.understand.model import Refinement

    cheaper = locked_fields(Refinement(kind="cheaper"))
    relaxed = relax(Filters(price_max=20, colors=("red",)), cheaper)
    assert relaxed is not None and relaxed[0].price_max == 20 and relaxed[0].colors == ()
    blue = locked_fields(Refinement(kind="filter", filters=Filters(colors=("blue",))))
    assert relax(Filters(colors=("blue",)), blue) is None
