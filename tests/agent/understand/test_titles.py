"""Module titles written from spans: head phrase plus canonical constraints."""

from __future__ import annotations

import pytest

from agent.understand.titles import MAX_TITLE, title_for
from tools.contract import SubQuery, ToolName
from tools.filters import Filters


def title(text: str, tool: ToolName, **filters: object) -> str:
    return title_for(
        SubQuery(id="q1", text=text, tool=tool, filters=Filters.model_validate(filters))
    )


@pytest.mark.parametrize(
    ("text", "tool", "filters", "expected"),
    [
        ("chicken take less hour", "search_ideas", {"total_time_max_min": 60},
         "Chicken ideas · under 1 hour"),
        ("", "search_videos", {"category": "comedy", "year_min": 1990, "year_max": 1999},
         "Comedy videos · 1990s"),
        ("documentaries", "search_videos", {"category": "documentary", "duration_max_s": 5400},
         "Documentaries videos · under 1 h 30 min"),
        ("tea kettle under 100", "search_products", {"price_max": 100},
         "Shop tea kettle · under $100"),
        ("office chair", "search_products", {"price_max": 1500},
         "Shop office chair · under $1,500"),
        ("desserts in less than 20 minutes", "search_ideas", {"total_time_max_min": 20},
         "Desserts ideas · under 20 min"),
    ],
)  # fmt: skip
def test_titles_have_no_leftovers(
    text: str, tool: ToolName, filters: dict[str, object], expected: str
) -> None:
    assert title(text, tool, **filters) == expected


def test_long_queries_give_short_titles_that_keep_the_constraint() -> None:
    made = title("rattan headboard " * 200, "search_products", price_max=200, colors=("black",))
    assert len(made) <= MAX_TITLE
    assert made.endswith("black, under $200")
    assert not made.split(" · ")[0].endswith(("rattan headboard rattan", " "))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("chicken recipes that take less than an hour", "Chicken ideas · under 1 hour"),
        ("documentaries under an hour and a half", "Documentary videos · under 1 h 30 min"),
    ],
)
def test_titles_written_from_the_read_request(text: str, expected: str) -> None:
    from agent.planning.rules import rule_plan
    from agent.understand.reader import understand
    from tests.fakes import VOCAB

    [sq] = rule_plan(understand(text, VOCAB)).subqueries
    assert title_for(sq) == expected
