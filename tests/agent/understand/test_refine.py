"""Follow-ups as state: bounds replace, constraints accumulate, switches keep what applies."""

from __future__ import annotations

from pathlib import Path

from agent.deps import Deps
from agent.engine import Engine
from agent.memory import open_checkpointer
from agent.models import Page, Plan, SearchRequest
from agent.planning.rules import rule_plan
from agent.settings import Settings
from agent.understand.model import Understanding
from agent.understand.reader import understand
from agent.understand.refine import refine
from tests.fakes import VOCAB


def plan_of(text: str) -> Plan:
    return rule_plan(understand(text, VOCAB))


def follow(previous: Plan, text: str, max_price: float | None = None) -> Understanding:
    refined = refine(understand(text, VOCAB), previous, max_price, VOCAB)
    assert refined is not None and refined.refinement is not None, text
    return refined


def test_a_stated_bound_replaces_the_old_one_instead_of_a_relative_cut() -> None:
    refined = follow(plan_of("office chairs under $200"), "cheaper than 150", max_price=190)
    [segment] = refined.segments
    assert segment.filters.price_max == 150
    assert segment.topic == "office chairs"
    again = follow(rule_plan(refined), "make that under 100")
    assert again.segments[0].filters.price_max == 100


def test_constraints_accumulate_on_the_same_topic() -> None:
    cheaper = follow(plan_of("chairs to buy"), "less than 90 dollars")
    black = follow(rule_plan(cheaper), "in black")
    [segment] = black.segments
    assert segment.topic == "chairs"
    assert (segment.filters.price_max, segment.filters.colors) == (90, ("black",))


def test_a_genre_switch_keeps_the_decade() -> None:
    refined = follow(plan_of("comedies from the 1990s"), "how about dramas")
    [segment] = refined.segments
    assert segment.vertical == "video"
    assert segment.filters.category == "drama"
    assert (segment.filters.year_min, segment.filters.year_max) == (1990, 1999)


def test_a_topic_switch_keeps_the_recipe_time() -> None:
    refined = follow(plan_of("chicken recipes under 30 minutes"), "how about pasta")
    [segment] = refined.segments
    assert (segment.topic, segment.vertical) == ("pasta", "ideas")
    assert segment.filters.total_time_max_min == 30


def test_a_bare_amount_is_read_in_the_earlier_vertical() -> None:
    refined = follow(plan_of("soup recipes"), "under 20 minutes")
    assert refined.segments[0].filters.total_time_max_min == 20
    video = follow(plan_of("documentaries"), "shorter than an hour")
    assert video.segments[0].filters.duration_max_s == 3600


def test_a_new_vertical_after_and_adds_an_intent() -> None:
    refined = follow(plan_of("soup recipes"), "and a comedy to watch after")
    assert [(s.vertical, s.filters.category) for s in refined.segments] == [
        ("video", "comedy"),
        ("ideas", None),
    ]
    assert refined.segments[1].topic == "soup"


def test_and_with_only_a_vertical_adds_an_intent_of_it_and_moves_no_topic() -> None:
    refined = follow(plan_of("thai green curry"), "and a film to watch after")
    added, *kept = refined.segments
    assert refined.refinement is not None and refined.refinement.kind == "add"
    assert added.vertical == "video" and "curry" not in added.topic
    assert ("thai green curry", "ideas") in [(s.topic, s.vertical) for s in kept]


def test_the_kind_of_thing_found_stays_with_a_shopping_intent() -> None:
    previous = plan_of("laptops to buy")
    refined = refine(
        understand("cheaper than 900", VOCAB), previous, 2500, VOCAB, {"laptops": "laptop"}
    )
    assert refined is not None and refined.refinement is not None
    [segment] = refined.segments
    assert (segment.filters.category, segment.filters.price_max) == ("laptop", 900)
    assert refined.refinement.filters.category == "laptop"
    assert segment.text == "laptops under $900"


def test_a_relative_follow_up_keeps_the_kind_too() -> None:
    refined = refine(
        understand("cheaper", VOCAB), plan_of("laptops to buy"), 2500, VOCAB, {"laptops": "laptop"}
    )
    assert refined is not None
    [segment] = refined.segments
    assert (segment.filters.category, segment.filters.price_max) == ("laptop", 1750)


async def two_turns(deps: Deps, tmp_path: Path, first: str, second: str) -> Page:
    async with open_checkpointer(Settings(home=tmp_path)) as saver:
        engine = Engine(deps, saver)
        thread = engine.new_thread()
        await engine.search(SearchRequest(text=first, thread_id=thread), new_thread=True)
        return await engine.search(SearchRequest(text=second, thread_id=thread))


async def test_a_bound_nothing_meets_says_so_instead_of_showing_other_things(
    tiny_deps: Deps, tmp_path: Path
) -> None:
    page = await two_turns(tiny_deps, tmp_path, "office chair", "cheaper than 50")
    assert not [i for m in page.modules for i in m.items if "chair" not in i.title.lower()]
    assert "no good matches for 'office chair under $50' in this catalog" in page.trace.notes


async def test_an_added_intent_leads_the_page_and_the_earlier_one_stays(
    tiny_deps: Deps, tmp_path: Path
) -> None:
    page = await two_turns(tiny_deps, tmp_path, "soup recipes", "and a comedy to watch after")
    assert [m.vertical for m in page.modules][:2] == ["video", "ideas"]
