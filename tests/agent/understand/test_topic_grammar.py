"""The topic is what remains once the reader has taken quantities, filters, occasions and
request words: checked on requests generated from a grammar (`request_grammar`)."""

from __future__ import annotations

import random

import pytest

from agent.deps import Deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.understand.reader import understand
from agent.understand.titles import title_for
from tests.agent.understand.request_grammar import cooking, requests, shopping
from tests.fakes import VOCAB
from tools.contract import SubQuery


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_generated_requests_keep_their_bound_and_topic(seed: int) -> None:
    for generated in requests(seed, 150):
        [segment] = understand(generated.text, VOCAB).segments
        assert tuple(segment.topic.split()) == generated.topic, generated.text
        assert getattr(segment.filters, generated.field) == generated.value, generated.text


@pytest.mark.parametrize(
    ("text", "topic", "minutes"),
    [
        ("curry you can make in half an hour", "curry", 30),
        ("lemon cake for a weeknight under 45 minutes", "lemon cake", 45),
        ("any chicken soup i can cook in under twenty minutes for tonight", "chicken soup", 20),
    ],
)
def test_request_and_occasion_words_leave_the_topic(text: str, topic: str, minutes: int) -> None:
    [segment] = understand(text, VOCAB).segments
    assert (segment.topic, segment.vertical) == (topic, "ideas")
    assert segment.filters.total_time_max_min == minutes


def test_title_names_the_topic_and_its_bound() -> None:
    [segment] = understand("curry you can make in half an hour", VOCAB).segments
    sq = SubQuery(id="q1", text=segment.topic, tool="search_ideas", filters=segment.filters)
    assert title_for(sq) == "Curry ideas · under 30 min"


def test_spelled_amounts_in_any_currency_word_are_read() -> None:
    [segment] = understand("water bottle up to two hundred usd", VOCAB).segments
    assert (segment.topic, segment.filters.price_max) == ("water bottle", 200)


async def test_a_seeded_sample_never_ends_on_an_empty_page(tiny_deps: Deps) -> None:
    rng = random.Random(5)
    engine = Engine(tiny_deps)
    for i in range(10):
        generated = (
            shopping(rng, ["office chair"], prices=(150, 200))
            if i % 2
            else cooking(rng, ["soup", "tomato soup", "lentil soup"], minutes=(30, 45, 60))
        )
        page = await engine.search(SearchRequest(text=generated.text))
        assert page.modules and page.modules[0].items, generated.text
        for item in page.modules[0].items:
            if generated.field == "price_max":
                assert item.price is not None and item.price <= generated.value
            elif generated.field == "price_min":
                assert item.price is not None and item.price >= generated.value
            else:
                assert item.total_time_min is not None
                assert item.total_time_min <= generated.value
