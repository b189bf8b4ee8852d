"""LLM planner and grounding: scripted model replies over fake HTTP, never a real model."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agent.llm.client import Budget
from agent.planning.draft import PlannerError
from agent.planning.evidence import Evidence
from agent.planning.grounding import ground_plan, local_texts
from agent.planning.llm_planner import DraftPlan, LLMPlanner
from agent.settings import Settings
from agent.understand.model import Segment, Understanding
from agent.understand.reader import understand
from prompts.loader import PromptError, load_prompt, placeholders, render
from tests.fakes import FakeServer, error, make_client, reply, step
from tests.fakes import plan_completion as completion
from tools.facets import FacetVocabulary
from tools.filters import Filters

VOCAB = FacetVocabulary(
    colors={"red": 3, "blue": 2, "orange": 1, "black": 4, "white": 2},
    brands={"apple": 3, "hon": 5, "logitech": 2},
    categories={"chairs": 4, "bookcases": 2, "binders": 9, "lamps": 3},
    genres={"comedy": 10, "drama": 10, "science fiction": 3, "horror": 2},
    diets={"vegetarian": 10, "vegan": 5},
)


async def plan_with(
    text: str,
    *replies: httpx.Response | Exception,
    history: list[str] | None = None,
    calls: int = 3,
) -> tuple[Any, FakeServer]:
    server = FakeServer(*replies)
    planner = LLMPlanner(make_client(server))
    budget = Budget.start(max_calls=calls, seconds=60)
    plan = await planner.plan(understand(text, VOCAB), VOCAB, history=history, budget=budget)
    return plan, server


def routes(plan: Any) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (sq.tool, sq.text, sq.filters.model_dump(exclude_defaults=True)) for sq in plan.subqueries
    ]


LAMP = "easy vegetarian soup recipes and a desk lamp under $40"


async def test_valid_plan_is_grounded_and_named_after_the_model() -> None:
    plan, server = await plan_with(
        LAMP,
        reply(
            step("search_ideas", "easy soup", diet=["vegetarian"]),
            step("search_products", "desk lamp", price_max=40),
        ),
    )
    assert plan.planner == f"llm:{Settings().llm_model}"
    assert routes(plan) == [
        ("search_ideas", "easy soup", {"diet": ("vegetarian",)}),
        ("search_products", "desk lamp", {"price_max": 40.0}),
    ]
    assert plan.confidence == 1.0
    [body] = server.bodies()
    assert LAMP in body["messages"][1]["content"]
    assert "vegetarian" in body["messages"][0]["content"]


async def test_invented_colour_and_price_are_dropped() -> None:
    plan, _ = await plan_with(
        "office chair", reply(step("search_products", "office chair", colors=["red"], price_max=99))
    )
    [sq] = plan.subqueries
    assert sq.filters.is_empty()
    assert "colors=red" in sq.note and "price_max=99" in sq.note
    assert plan.confidence < 1


async def test_colour_the_catalog_lacks_is_dropped_even_when_said() -> None:
    plan, _ = await plan_with(
        "teal desk lamp", reply(step("search_products", "lamp", colors=["teal"]))
    )
    assert plan.subqueries[0].filters.colors == ()


async def test_food_words_are_not_colours_or_brands() -> None:
    plan, _ = await plan_with(
        "orange chicken and apple pie",
        reply(
            step("search_products", "orange chicken", colors=["orange"]),
            step("search_products", "apple pie", brands=["Apple"]),
        ),
    )
    assert all(sq.filters.is_empty() for sq in plan.subqueries)


async def test_missed_intent_is_added_and_misroute_corrected_from_rule_cues() -> None:
    plan, _ = await plan_with(LAMP, reply(step("search_ideas", "desk lamp")))
    soup = understand(LAMP, VOCAB).segments[0].topic
    assert sorted(routes(plan)) == [
        ("search_ideas", soup, {"diet": ("vegetarian",)}),
        ("search_products", "desk lamp", {"price_max": 40.0}),
    ]


async def test_rule_findings_win_on_conflict() -> None:
    text = "a $60 lamp is too much, a desk lamp under $40"
    segment = Segment(
        text=text, topic="desk lamp", vertical="shopping", filters=Filters(price_max=40),
        cues=["$"],
    )  # fmt: skip
    understood = Understanding(text=text, segments=[segment], filters=segment.filters)
    raw = DraftPlan.model_validate(
        {"subqueries": [step("search_products", "desk lamp", price_max=60)]}
    )
    plan = ground_plan(raw, understood, VOCAB, text)
    assert plan.subqueries[0].filters.price_max == 40


async def test_history_supports_a_refinement() -> None:
    plan, _ = await plan_with(
        "only in red",
        reply(step("search_products", "running shoes", colors=["red"], price_max=80)),
        history=["running shoes under $80"],
    )
    assert routes(plan) == [
        ("search_products", "running shoes", {"price_max": 80.0, "colors": ("red",)})
    ]


def test_years_durations_and_times_need_words_for_them() -> None:
    text = "90s comedy movies under 2 hours, or a 20 minute recipe"
    raw = DraftPlan.model_validate(
        {
            "subqueries": [
                step(
                    "search_videos", "comedy movies", category="comedy", year_min=1990,
                    year_max=1999, duration_max_min=120,
                ),
                step("search_videos", "drama", year_min=2005, duration_max_min=90),
                step("search_ideas", "quick recipe", total_time_max_min=20, diet=["vegan"]),
            ]
        }
    )  # fmt: skip
    plan = ground_plan(raw, Understanding(text=text), VOCAB, text)
    comedy, drama, recipe = (sq.filters for sq in plan.subqueries)
    assert (comedy.year_min, comedy.year_max, comedy.duration_max_s) == (1990, 1999, 7200)
    assert comedy.category == "comedy"
    assert drama.is_empty()
    assert recipe == Filters(total_time_max_min=20)


async def test_empty_text_uses_the_topic_and_duplicates_collapse() -> None:
    plan, _ = await plan_with(
        "horror movies",
        reply(step("search_videos", ""), step("search_videos", "  "), step("videos", "horror")),
    )
    assert [(sq.tool, sq.text) for sq in plan.subqueries] == [("search_videos", "horror movies")]
    assert plan.subqueries[0].filters.category == "horror"


async def test_at_most_four_subqueries_survive() -> None:
    text = "tea, coffee makers, horror movies, soup recipes and red binders"
    raw = reply(
        *(step("search_products", f"thing {i}") for i in range(4)),
    )
    plan, _ = await plan_with(text, raw)
    assert len(plan.subqueries) <= 4


async def test_unknown_tools_fail_after_the_repair_round() -> None:
    bad = reply(step("search_web", "desk lamp"))
    with pytest.raises(PlannerError, match="search_web|tool"):
        await plan_with(LAMP, bad, reply(step("search_web", "desk lamp")))


async def test_junk_is_repaired_then_planned() -> None:
    plan, server = await plan_with(
        "desk lamp under $40", completion("I think you want a lamp."),
        reply(step("search_products", "desk lamp", price_max=40)),
    )  # fmt: skip
    assert routes(plan) == [("search_products", "desk lamp", {"price_max": 40.0})]
    assert len(server.requests) == 2


async def test_junk_twice_raises_planner_error() -> None:
    with pytest.raises(PlannerError, match="repair"):
        await plan_with(LAMP, completion("[1, 2"), completion('{"subqueries": []}'))


async def test_timeout_raises_planner_error() -> None:
    with pytest.raises(PlannerError, match="no answer"):
        await plan_with(LAMP, httpx.ReadTimeout("slow"), calls=1)


async def test_server_rejection_raises_planner_error() -> None:
    with pytest.raises(PlannerError, match="401"):
        await plan_with(LAMP, error(401, "bad key"))


async def test_exhausted_budget_raises_planner_error_without_a_request() -> None:
    server = FakeServer()
    planner = LLMPlanner(make_client(server))
    spent = Budget.start(max_calls=0, seconds=60)
    with pytest.raises(PlannerError, match="budget"):
        await planner.plan(understand(LAMP, VOCAB), VOCAB, history=[], budget=spent)
    assert server.requests == []


def test_evidence_reads_money_time_and_years() -> None:
    ev = Evidence.read("a lamp under 40 dollars, $15-25 mugs, ready in 30 minutes, 1980s films")
    assert ev.has_price(40, "max") and not ev.has_price(40, "min")
    assert ev.has_price(15, "min") and ev.has_price(25, "max") and not ev.has_price(30, "max")
    over = Evidence.read("laptop over $1000")
    assert over.has_price(1000, "min") and not over.has_price(1000, "max")
    assert Evidence.read("a $60 lamp").has_price(60, "max")
    assert 30 in ev.minutes
    assert {1980, 1989} <= ev.years
    assert Evidence.read("films from the 80s under an hour").minutes == {60}
    assert not Evidence.read("cook for 2 hours").prices
    assert not Evidence.read("lasagna for 12 people, 2001 a space odyssey").prices


def test_prompts_render_strictly() -> None:
    assert placeholders("plan_user") == {"history", "hints", "request"}
    assert not load_prompt("plan_system").startswith("<!--")
    with pytest.raises(PromptError, match="needs values for: request"):
        render("plan_user", history="", hints="")
    with pytest.raises(PromptError, match="no placeholder for: extra"):
        render("repair", errors="x", extra=1)
    with pytest.raises(PromptError, match="no prompt named"):
        load_prompt("missing_prompt")
    assert placeholders("titles") == {"request", "modules"}
    assert placeholders("suggest") == {"request", "topics", "facets"}
    assert placeholders("rewrite") == {"request", "query", "vertical", "problem"}
    assert "{{" not in render("repair", errors="count: field required")


async def test_a_price_stays_with_the_intent_it_was_said_for() -> None:
    plan, _ = await plan_with(
        "a laptop, headphones under $200 and sci-fi movies",
        reply(
            step("search_products", "laptop", price_max=200),
            step("search_products", "headphones", price_max=200),
            step("search_videos", "sci-fi movies", price_max=200),
        ),
    )
    assert [(sq.tool, sq.filters.price_max) for sq in plan.subqueries] == [
        ("search_products", None),
        ("search_products", 200.0),
        ("search_videos", None),
    ]


def test_local_texts_give_each_intent_its_clauses() -> None:
    text = "cheap, red office chair, a bookcase between $50 and $90 and comedy films"
    assert local_texts(["office chair", "bookcase", "comedy"], text) == [
        "cheap, red office chair",
        "a bookcase between $50 and $90",
        "comedy films",
    ]
    lamp = "a desk lamp, in red, under $40 and a rug"
    assert local_texts(["desk lamp"], lamp, frozenset({"red"})) == [
        "a desk lamp, in red, under $40"
    ]
    assert local_texts(["something else"], text) == [text]


async def test_a_time_put_in_the_price_becomes_the_time_limit() -> None:
    plan, _ = await plan_with(
        "chicken curry ready in 30 minutes and a western under 2 hours",
        reply(
            step("search_ideas", "chicken curry", price_max=30),
            step("search_videos", "western", price_max=2),
        ),
    )
    curry, western = (sq.filters for sq in plan.subqueries)
    assert curry == Filters(total_time_max_min=30)
    assert western.duration_max_s == 7200 and western.price_max is None


async def test_a_colour_cue_alone_does_not_overrule_the_model() -> None:
    plan, _ = await plan_with(
        "white bean chili", reply(step("search_ideas", "white bean chili", colors=["white"]))
    )
    assert routes(plan) == [("search_ideas", "white bean chili", {})]


async def test_a_skipped_uncued_intent_joins_the_intent_before_it() -> None:
    plan, _ = await plan_with(
        "an office chair under $150 and a bookcase",
        reply(step("search_products", "office chair", price_min=150, price_max=150)),
    )
    assert routes(plan) == [
        ("search_products", "office chair", {"price_max": 150.0}),
        ("search_products", "bookcase", {}),
    ]
    assert "added from the rule taggers" in plan.subqueries[1].note


async def test_intents_the_model_skipped_keep_their_own_filters() -> None:
    plan, _ = await plan_with(
        "a laptop, headphones under $200 and sci-fi movies",
        reply(step("search_products", "laptop", price_max=200)),
    )
    assert routes(plan) == [
        ("search_products", "laptop", {}),
        ("search_products", "headphones", {"price_max": 200.0}),
        ("search_videos", "sci-fi", {}),
    ]
