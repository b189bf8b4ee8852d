"""The quantity and clause reader: every phrasing it promises, read to typed spans."""

from __future__ import annotations

import pytest

from agent.understand.quantities import (
    Quantity,
    read_quantities,
    split_clauses,
    strip_quantities,
)
from tools.catalog import Vertical


def one(text: str, vertical: Vertical | None = None) -> Quantity:
    [q] = read_quantities(text, vertical, newest_year=2014)
    assert text[q.start : q.end] == q.text
    return q


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("office chair under $1,500", 1500.0),
        ("a desk under 1.5k", 1500.0),
        ("a rug under 1500 dollars", 1500.0),
        ("a bag under €40", 40.0),
        ("a lamp under $19.99", 19.99),
        ("speakers under 2,000 bucks", 2000.0),
    ],
)
def test_money_with_separators_decimals_and_k(text: str, value: float) -> None:
    q = one(text)
    assert (q.kind, q.bound, q.high) == ("money", "max", value)


def test_the_currency_is_read() -> None:
    assert one("a bag under €40").currency == "EUR"
    assert one("a lamp under $40").currency == "USD"


@pytest.mark.parametrize(
    ("text", "bound", "low", "high"),
    [
        ("under $30", "max", None, 30.0),
        ("below $30", "max", None, 30.0),
        ("less than $30", "max", None, 30.0),
        ("at most $30", "max", None, 30.0),
        ("up to $30", "max", None, 30.0),
        ("$30 or less", "max", None, 30.0),
        ("cheaper than $30", "max", None, 30.0),
        ("over $30", "min", 30.0, None),
        ("above $30", "min", 30.0, None),
        ("more than $30", "min", 30.0, None),
        ("at least $30", "min", 30.0, None),
        ("from $10 to $30", "range", 10.0, 30.0),
        ("between $10 and $30", "range", 10.0, 30.0),
        ("$10-$30", "range", 10.0, 30.0),
        ("10-30 dollars", "range", 10.0, 30.0),
    ],
)
def test_bounds(text: str, bound: str, low: float | None, high: float | None) -> None:
    q = one(f"a lamp {text}")
    assert (q.kind, q.bound, q.low, q.high) == ("money", bound, low, high)


def test_a_bare_number_takes_its_unit_from_the_vertical() -> None:
    kettle = one("tea kettle under 100", "shopping")
    films = one("films under 100", "video")
    assert (kettle.kind, kettle.high, kettle.implied) == ("money", 100.0, True)
    assert (films.kind, films.high, films.implied) == ("duration", 100.0, True)
    assert one("tables 10-20", "shopping").kind == "money"
    unknown = one("something under 100")
    assert (unknown.kind, unknown.high) == ("number", 100.0)


def test_numbers_that_are_not_quantities_are_left_alone() -> None:
    assert read_quantities("lasagna for 12 people") == []
    assert [q.kind for q in read_quantities("a 27 inch monitor under 300", "shopping")] == ["money"]
    assert read_quantities("office chairs") == []


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("an hour and a half", 90),
        ("half an hour", 30),
        ("1h30", 90),
        ("90 min", 90),
        ("two hours", 120),
        ("1 hour 30 minutes", 90),
        ("two and a half hours", 150),
        ("an hour", 60),
        ("45 minutes", 45),
        ("1.5 hours", 90),
    ],
)
def test_durations_in_words_and_numbers(text: str, minutes: int) -> None:
    q = one(f"films {text}")
    assert q.kind == "duration" and q.low == q.high == minutes


@pytest.mark.parametrize(
    ("text", "bound", "low", "high"),
    [
        ("under two hours", "max", None, 120),
        ("3+ hours", "min", 180, None),
        ("less than an hour", "max", None, 60),
        ("over 3 hours", "min", 180, None),
        ("90 minutes or less", "max", None, 90),
        ("at least 2 hours", "min", 120, None),
        ("1-2 hours", "range", 60, 120),
    ],
)
def test_bounded_durations(text: str, bound: str, low: int | None, high: int | None) -> None:
    q = one(f"movies {text}")
    assert (q.kind, q.bound, q.low, q.high) == ("duration", bound, low, high)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("from the 80s", 1980, 1989),
        ("from the 1990s", 1990, 1999),
        ("in the nineties", 1990, 1999),
        ("'70s", 1970, 1979),
        ("before 1980", None, 1979),
        ("after 2010", 2011, None),
        ("since 2010", 2010, None),
        ("from 1995", 1995, 1995),
        ("recent", 2010, None),
        ("from 2010 onwards", 2010, None),
        ("between 1990 and 2000", 1990, 2000),
    ],
)
def test_years_decades_and_eras(text: str, low: int | None, high: int | None) -> None:
    q = one(f"comedies {text}")
    assert (q.kind, q.low, q.high) == ("year", low, high)


def test_the_span_covers_the_bound_and_lead_words() -> None:
    q = one("chicken recipes that take less than an hour")
    assert q.text == "that take less than an hour"
    assert strip_quantities("chicken recipes that take less than an hour") == "chicken recipes"
    assert strip_quantities("pasta ready in 20 minutes or less") == "pasta"
    assert strip_quantities("sci-fi movies over two hours long") == "sci-fi movies"
    assert strip_quantities("running shoes under $80") == "running shoes"


def test_clauses_never_cut_through_a_quantity() -> None:
    assert split_clauses("office chair under $1,500, and a lamp") == [
        "office chair under $1,500",
        "a lamp",
    ]
    assert split_clauses("documentaries under an hour and a half and popcorn") == [
        "documentaries under an hour and a half",
        "popcorn",
    ]
    assert split_clauses("tables between $100 and $300 and chairs") == [
        "tables between $100 and $300",
        "chairs",
    ]


def test_amounts_stay_with_their_own_clause() -> None:
    text = "a lamp under $40 and pasta recipes ready in 30 minutes"
    lamp, pasta = split_clauses(text)
    assert [q.kind for q in read_quantities(lamp)] == ["money"]
    assert [q.kind for q in read_quantities(pasta)] == ["duration"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("heat 1995", (1995.0, 1995.0)),
        ("best 1999 films", (1999.0, 1999.0)),
        ("comedies 1990 to 1999", (1990.0, 1999.0)),
        ("2001 a space odyssey", None),
        ("1917", None),
    ],
)
def test_a_bare_year_dates_the_words_before_it(
    text: str, expected: tuple[float, float] | None
) -> None:
    found = [(q.low, q.high) for q in read_quantities(text) if q.kind == "year"]
    assert found == ([expected] if expected else [])


def test_plus_before_more_words_joins_clauses() -> None:
    text = "breakfast ideas ready in 20 minutes plus a white electric kettle"
    assert split_clauses(text) == ["breakfast ideas ready in 20 minutes", "a white electric kettle"]
    assert one("movies 3 hours plus").bound == "min"


@pytest.mark.parametrize(
    ("text", "bound", "low", "high"),
    [
        ("nothing over $60", "max", None, 60.0),
        ("no more than $60", "max", None, 60.0),
        ("not more than $60", "max", None, 60.0),
        ("that won't cost more than $60", "max", None, 60.0),
        ("that doesn't cost over $60", "max", None, 60.0),
        ("no pricier than $60", "max", None, 60.0),
        ("not under $60", "min", 60.0, None),
        ("max $60", "max", None, 60.0),
        ("$60 max", "max", None, 60.0),
        ("$60 or under", "max", None, 60.0),
        ("$60 and below", "max", None, 60.0),
        ("60 bucks tops", "max", None, 60.0),
        ("within $60", "max", None, 60.0),
        ("within a $60 budget", "max", None, 60.0),
        ("with a $60 budget", "max", None, 60.0),
        ("on a budget of $60", "max", None, 60.0),
        ("$60 price limit", "max", None, 60.0),
        ("under the $60 mark", "max", None, 60.0),
        ("below 60 bucks", "max", None, 60.0),
        ("<$60", "max", None, 60.0),
        ("< $60", "max", None, 60.0),
        ("sub-$60", "max", None, 60.0),
        ("for less than $60", "max", None, 60.0),
        ("less than sixty dollars", "max", None, 60.0),
        ("under twenty-five bucks", "max", None, 25.0),
    ],
)
def test_everyday_price_bounds(
    text: str, bound: str, low: float | None, high: float | None
) -> None:
    q = one(f"speakers {text}")
    assert (q.kind, q.bound, q.low, q.high) == ("money", bound, low, high)
    assert strip_quantities(f"speakers {text}") == "speakers"


@pytest.mark.parametrize(
    ("text", "bound", "low", "high"),
    [
        ("2 hrs or less", "max", None, 120),
        ("that's done in 2 hrs or less", "max", None, 120),
        ("no longer than 90 minutes", "max", None, 90),
        ("not longer than 1 hr 30", "max", None, 90),
        ("that won't take more than 90 minutes", "max", None, 90),
        ("an hour max", "max", None, 60),
        ("shorter than 100 min", "max", None, 100),
        ("nothing above two hours", "max", None, 120),
        ("no shorter than seventy minutes", "min", 70, None),
    ],
)
def test_everyday_duration_bounds(text: str, bound: str, low: int | None, high: int | None) -> None:
    q = one(f"stew {text}")
    assert (q.kind, q.bound, q.low, q.high) == ("duration", bound, low, high)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("made after 2008", 2009, None),
        ("pre-2000", None, 1999),
        ("90s", 1990, 1999),
        ("from the nineteen-eighties", 1980, 1989),
        ("from the nineteen fifties", 1950, 1959),
        ("after the year 2000", 2001, None),
        ("later than 2005", 2006, None),
        ("no later than 2005", None, 2005),
        ("no older than 2005", 2005, None),
        ("not before 1990", 1990, None),
    ],
)
def test_everyday_years(text: str, low: int | None, high: int | None) -> None:
    q = one(f"thrillers {text}")
    assert (q.kind, q.low, q.high) == ("year", low, high)
