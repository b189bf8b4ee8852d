"""The relevance gate: calibrated probabilities from retrieval features, and abstention."""

from __future__ import annotations

import pytest

from agent.deps import Deps
from agent.engine import Engine
from agent.models import SearchRequest
from agent.quality.relevance import (
    FEATURES,
    features,
    head_word,
    load_gate,
    query_words,
    relevance,
    stem,
)
from tools.catalog import Idea
from tools.contract import Hit


def hit(title: str, lexical: int | None = 1) -> Hit:
    return Hit(item=Idea(id=title, title=title), score=1.0, lexical_rank=lexical)


def test_the_shipped_gate_states_its_meaning_and_calibration() -> None:
    gate = load_gate()
    assert gate.features == list(FEATURES) and len(gate.weights) == len(FEATURES)
    assert 0 < gate.threshold < 1 and "probability" in gate.meaning
    assert gate.calibration["ece"] < 0.05 and gate.calibration["pairs_held_out"] > 100


def test_words_the_items_have_make_a_module_likely_relevant() -> None:
    good = [hit("Tomato Soup"), hit("Chicken Soup")]
    junk = [hit("Boliche", None), hit("Bolognese Sauce", None)]
    assert relevance("tomato soup", good) > 0.9
    assert relevance("boho bedroom", junk) < 0.05
    assert relevance("", junk) == 1.0
    assert features("the", good) is None


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ("cordless drill", "drill"),
        ("perfume for men", "perfume"),
        ("office chairs", "chair"),
        ("mouse for laptop", "mouse"),
        ("a pair of scissors", "scissor"),
    ],
)
def test_the_head_word_is_the_noun_before_any_preposition(text: str, head: str) -> None:
    assert head_word(text) == head


def test_plurals_meet_their_singulars() -> None:
    assert {stem(w) for w in ("cookies", "cookie")} == {stem("cookie")}
    assert stem("bookcases") == stem("bookcase") and stem("mice") == stem("mouse")
    assert stem("glasses") == stem("glass")


async def test_a_request_the_catalog_cannot_answer_gets_no_modules(tiny_deps: Deps) -> None:
    page = await Engine(tiny_deps).search(SearchRequest(text="boho bedroom ideas"))
    assert page.modules == []
    assert "no good matches for 'boho bedroom ideas' in this catalog" in page.trace.notes
    assert any("not shown (p(relevant)" in s.detail for s in page.trace.steps)


def test_an_audience_or_occasion_word_is_not_what_the_request_asks_for() -> None:
    backpacks = [hit("Backpack green small"), hit("Backpack black large")]
    assert relevance("kids backpack", backpacks) > 0.9
    assert relevance("halloween cookie", [hit("Cake Mix Cookies")]) > 0.9
    assert features("weekend", backpacks) is None


def test_a_relevant_item_just_below_the_top_keeps_the_module() -> None:
    hits = [hit("Chickpea Flour Kadi"), hit("Beef Curry"), hit("Chicken Curry")]
    assert relevance("chicken curry", hits) >= load_gate().threshold
    assert relevance("chicken curry", [hit("Chickpea Flour Kadi"), hit("Beef Stew")]) < 0.5


def test_a_module_missing_the_head_word_is_not_shown() -> None:
    hoses = [hit("Garden Hose 25ft vinyl"), hit("Garden Hose 50ft latex")]
    assert relevance("garden hose reel", hoses) < load_gate().threshold


def test_items_closer_in_meaning_are_likelier_relevant() -> None:
    gate = load_gate()
    assert {"similarity_top", "similarity_best"} <= set(gate.features)
    assert 0 < gate.similarity_floor < 1

    def hits(similarity: float) -> list[Hit]:
        return [
            Hit(
                item=Idea(id=f"i{n}", title="Chicken Soup"),
                score=1.0,
                lexical_rank=1,
                similarity=similarity,
            )  # fmt: skip
            for n in range(3)
        ]

    assert relevance("chicken curry", hits(0.7)) > relevance("chicken curry", hits(0.2))


def test_measure_words_are_not_words_to_answer() -> None:
    assert query_words("a pair of scissors") == ["scissor"]
    assert query_words("a set of golf clubs") == ["golf", "club"]
    assert query_words("dumbbell set") == ["dumbbell", "set"]
