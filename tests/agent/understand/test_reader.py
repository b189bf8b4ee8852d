"""Rule taggers and clause splitting, grounded in a hand-made facet vocabulary."""

from __future__ import annotations

import pytest

from agent.understand.reader import split_clauses, understand
from tests.fakes import VOCAB


def segs(text: str) -> list[tuple[str, str | None, dict[str, object]]]:
    u = understand(text, VOCAB)
    return [(s.topic, s.vertical, s.filters.model_dump(exclude_defaults=True)) for s in u.segments]


def test_multi_intent_split_with_price() -> None:
    assert segs("boho bedroom ideas and a rattan headboard under $200") == [
        ("boho bedroom", "ideas", {}),
        ("rattan headboard", "shopping", {"price_max": 200.0}),
    ]


def test_recipe_time_and_diet() -> None:
    [(topic, vertical, filters)] = segs("vegetarian soups ready in under 30 minutes")
    assert vertical == "ideas"
    assert filters == {"total_time_max_min": 30, "diet": ("vegetarian",)}
    assert "minutes" not in topic


@pytest.mark.parametrize(
    ("text", "diet"),
    [("veggie burgers", "vegetarian"), ("meatless lasagna", "vegetarian"),
     ("plant-based chili", "vegan"), ("plant based chili", "vegan"),
     ("meat free lasagna", "vegetarian")],
)  # fmt: skip
def test_everyday_diet_words_read_as_the_catalogs_diets(text: str, diet: str) -> None:
    [(topic, vertical, filters)] = segs(text)
    assert vertical == "ideas"
    assert filters == {"diet": (diet,)}
    assert text.split()[0] not in topic and "based" not in topic and "free" not in topic


def test_a_diet_word_alone_stays_the_topic() -> None:
    [(topic, _, filters)] = segs("roasted veggie")
    assert "diet" not in filters
    assert "veggie" in topic


def test_video_decade_genre_and_length() -> None:
    [(_, vertical, filters)] = segs("comedies from the 1990s under 100 minutes")
    assert vertical == "video"
    assert filters == {
        "category": "comedy",
        "duration_max_s": 6000,
        "year_min": 1990,
        "year_max": 1999,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("desk lamp between $20 and $50", {"price_min": 20.0, "price_max": 50.0}),
        ("laptop over $1k", {"price_min": 1000.0}),
        ("chairs below 80 dollars", {"price_max": 80.0}),
    ],
)
def test_price_forms(text: str, expected: dict[str, float]) -> None:
    [(_, vertical, filters)] = segs(text)
    assert vertical == "shopping"
    assert {k: v for k, v in filters.items() if k.startswith("price")} == expected


def test_colour_must_exist_in_catalog() -> None:
    [(_, _, filters)] = segs("a purple backpack under $60")
    assert "colors" not in filters
    [(_, _, filters)] = segs("a blue backpack under $60")
    assert filters["colors"] == ("blue",)


def test_orange_the_fruit_is_not_a_colour() -> None:
    [(topic, vertical, filters)] = segs("orange chicken recipe")
    assert vertical == "ideas" and "colors" not in filters and "orange" in topic


def test_apple_pie_is_not_the_brand() -> None:
    [(_, _, filters)] = segs("apple pie")
    assert "brands" not in filters


def test_brand_found_for_products() -> None:
    [(_, vertical, filters)] = segs("logitech mouse under $40")
    assert vertical == "shopping" and filters["brands"] == ("logitech",)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("salt and pepper recipes", 1),
        ("mac and cheese", 1),
        ("black and white movies", 1),
        ("pasta recipes, running shoes under $80 and a documentary about food", 3),
        ("red t-shirt under $30 and salt and pepper recipes", 2),
    ],
)
def test_split_only_real_intents(text: str, parts: int) -> None:
    assert len(split_clauses(text)) == parts


def test_empty_and_huge_and_foreign() -> None:
    assert understand("   ", VOCAB).segments == []
    huge = understand("lamp " * 3000, VOCAB, max_chars=2000)
    assert huge.truncated and len(huge.text) <= 2000
    assert understand("Rezepte für Suppe mit Kartoffeln", VOCAB).non_english
    assert not understand("soup recipes with potatoes", VOCAB).non_english


def test_quick_recipes_mean_thirty_minutes() -> None:
    [(topic, vertical, filters)] = segs("quick pasta recipes")
    assert (topic, vertical, filters) == ("pasta", "ideas", {"total_time_max_min": 30})
    [(_, _, filters)] = segs("quick pasta recipes ready in under 15 minutes")
    assert filters["total_time_max_min"] == 15


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("pasta ready in 20 minutes", 20),
        ("30-minute meals with chicken", 30),
        ("soup recipes in under an hour", 60),
    ],
)
def test_recipe_time_forms(text: str, minutes: int) -> None:
    [(_, vertical, filters)] = segs(text)
    assert vertical == "ideas" and filters["total_time_max_min"] == minutes


def test_colour_synonyms_and_food_colours() -> None:
    vocab = VOCAB.model_copy(update={"colors": {**VOCAB.colors, "gray": 2, "rose gold": 1}})
    [segment] = understand("a grey backpack under $80", vocab).segments
    assert segment.filters.colors == ("gray",)
    [segment] = understand("rose gold watch under $300", vocab).segments
    assert segment.filters.colors == ("rose gold",)
    for food in ("white bean soup", "red velvet cake", "black beans recipe"):
        [segment] = understand(food, vocab).segments
        assert segment.filters.colors == (), food


@pytest.mark.parametrize(
    ("text", "vertical", "expected"),
    [
        ("office chair under $1,500", "shopping", {"price_max": 1500.0}),
        ("chicken recipes that take less than an hour", "ideas", {"total_time_max_min": 60}),
        ("long epic films over 3 hours", "video", {"duration_min_s": 10800}),
        ("documentaries under an hour and a half", "video", {"duration_max_s": 5400}),
        ("tea kettle under 100 to buy", "shopping", {"price_max": 100.0}),
    ],
)
def test_constraints_the_old_taggers_missed(
    text: str, vertical: str, expected: dict[str, object]
) -> None:
    [(topic, found_vertical, filters)] = segs(text)
    assert found_vertical == vertical
    assert {k: v for k, v in filters.items() if k in expected} == expected
    assert not {"less", "take", "half", "than", "1", "500", "100"} & set(topic.split())


def test_a_vertical_word_outweighs_a_catalog_kind_in_the_same_clause() -> None:
    [(_, shoes, _), (topic, vertical, filters)] = segs("a chair and a chairs documentary")
    assert shoes == "shopping"
    assert (vertical, filters) == ("video", {"category": "documentary"})
    assert "documentary" not in topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("mouse for my laptop under 30 dollars", "mouse for laptop"),
        ("a case to go with my iphone", "case for iphone"),
        ("keyboard that works with my tablet", "keyboard for tablet"),
        ("mouse compatible with a macbook", "mouse for macbook"),
        ("hammock with a stand", "hammock with stand"),
        ("looking for a lamp", "lamp"),
    ],
)
def test_the_head_stays_apart_from_what_it_is_for(text: str, topic: str) -> None:
    [(got, _, _)] = segs(text)
    assert got == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("a pair of scissors", "scissors"),
        ("a couple of binders", "binders"),
        ("a set of pens", "pens"),
        ("a few chickpea recipes", "chickpea"),
        ("several notebooks", "notebooks"),
    ],
)
def test_measure_words_are_not_topic_words(text: str, topic: str) -> None:
    [(got, _, _)] = segs(text)
    assert got == topic


def test_a_clause_that_only_states_an_amount_binds_to_its_neighbour() -> None:
    assert split_clauses("headphones, no more than $40", VOCAB) == ["headphones, no more than $40"]
    [(topic, vertical, filters)] = segs("cheap speakers, nothing over $60")
    assert (topic, vertical, filters) == ("speakers", "shopping", {"price_max": 60.0})
    assert len(segs("pasta recipes and a lamp under $50")) == 2


def test_flicks_are_films() -> None:
    [(topic, vertical, filters)] = segs("horror flicks from the nineteen-eighties")
    assert vertical == "video" and "flick" not in topic
    assert (filters["year_min"], filters["year_max"]) == (1980, 1989)
