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
from agent.quality.words import near_cover, one_edit
from tools.catalog import Idea, Product
from tools.contract import Hit


def hit(title: str, lexical: int | None = 1, similarity: float | None = None) -> Hit:
    item = Idea(id=title, title=title)
    return Hit(item=item, score=1.0, lexical_rank=lexical, similarity=similarity)


def test_the_shipped_gate_states_its_meaning_and_calibration() -> None:
    gate = load_gate()
    assert gate.features == list(FEATURES) and len(gate.weights) == len(FEATURES)
    assert 0 < gate.threshold < 1 and "probability" in gate.meaning
    for vertical in ("ideas", "shopping", "video"):
        held = gate.calibration[vertical]
        assert held["pairs"] > 100 and {"brier", "ece", "precision", "recall"} <= set(held)
        assert 0 < gate.floor(vertical) < 1
    assert gate.calibration["all"]["ece"] < 0.1


def test_words_the_items_have_make_a_module_likely_relevant() -> None:
    good = [hit("Tomato Soup", 1, 0.6), hit("Chicken Soup", 2, 0.5)]
    junk = [hit("Boliche", None, 0.1), hit("Bolognese Sauce", None, 0.1)]
    assert relevance("tomato soup", good) > 0.7
    assert relevance("boho bedroom", junk) < 0.3
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
    backpacks = [hit("Backpack green small", 1, 0.6), hit("Backpack black large", 2, 0.6)]
    assert relevance("kids backpack", backpacks) > 0.7
    assert relevance("halloween cookie", [hit("Cake Mix Cookies", 1, 0.6)]) > 0.7
    assert features("weekend", backpacks) is None


def test_a_relevant_item_just_below_the_top_keeps_the_module() -> None:
    hits = [
        hit("Chickpea Flour Kadi", 1, 0.2),
        hit("Beef Curry", 2, 0.5),
        hit("Chicken Curry", 3, 0.7),
    ]
    assert relevance("chicken curry", hits) >= load_gate().threshold
    far = [hit("Chickpea Flour Kadi", 1, 0.2), hit("Beef Stew", 2, 0.2)]
    assert relevance("chicken curry", far) < load_gate().threshold


def test_a_module_missing_the_head_word_is_not_shown() -> None:
    hoses = [hit("Garden Hose 25ft vinyl"), hit("Garden Hose 50ft latex")]
    assert relevance("garden hose reel", hoses) < load_gate().threshold


def test_items_closer_in_meaning_are_likelier_relevant() -> None:
    gate = load_gate()
    assert gate.features[0] == "similarity"
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


def meant(title: str, similarity: float, vertical: str = "ideas") -> Hit:
    item = Idea(id=title, title=title) if vertical == "ideas" else Product(id=title, title=title)
    return Hit(item=item, score=1.0, lexical_rank=None, similarity=similarity)


def test_items_that_answer_by_meaning_with_no_shared_word_keep_the_module() -> None:
    gate = load_gate()
    near = [meant("Buttermilk Pancakes", gate.floor("ideas") + 0.1)]
    assert relevance("flapjacks", near) >= gate.threshold
    chairs = [meant("Mesh Task Seat, black", gate.floor("shopping") + 0.1, "shopping")]
    assert relevance("something to sit on at my desk", chairs) >= gate.threshold


def test_items_far_in_meaning_are_rejected_whatever_they_are() -> None:
    gate = load_gate()
    assert relevance("flapjacks", [meant("Beef Stew", 0.1)]) < gate.threshold
    far = [meant("Comb Binding Machine", gate.floor("shopping") - 0.15, "shopping")]
    assert relevance("a kettle for tea", far) < gate.threshold


def test_the_module_is_as_likely_relevant_as_its_likeliest_first_item() -> None:
    gate = load_gate()
    good, bad = meant("Buttermilk Pancakes", 0.8), meant("Beef Stew", 0.1)
    assert relevance("flapjacks", [bad, good]) == relevance("flapjacks", [good])
    assert relevance("flapjacks", [bad, bad, bad, good]) < gate.threshold


def test_a_typing_slip_still_counts_as_the_word() -> None:
    assert near_cover({"cofee", "maker"}, {"coffee", "maker", "black"}) == 1.0
    assert near_cover({"cat"}, {"cut"}) == 0.0
    assert one_edit("recieve", "receive") and not one_edit("chair", "chairs!!")


def test_measure_words_are_not_words_to_answer() -> None:
    assert query_words("a pair of scissors") == ["scissor"]
    assert query_words("a set of golf clubs") == ["golf", "club"]
    assert query_words("dumbbell set") == ["dumbbell", "set"]


def test_unread_vectors_leave_the_judgment_to_the_words() -> None:
    """A damaged vertical's hits carry no cosine: an item whose title holds the request's
    words is still shown, one that does not is not."""
    assert relevance("oak space films", [hit("oak space film one", similarity=None)]) >= 0.9
    assert relevance("oak space films", [hit("Marathon Man", similarity=None)]) == 0.0


def test_a_request_that_names_a_film_finds_it_relevant() -> None:
    from tools.catalog import Video

    def film(title: str, similarity: float) -> Hit:
        return Hit(item=Video(id=title, title=title), score=1.0, similarity=similarity)

    named = [film("Heat", 0.49), film("Java Heat", 0.41)]
    shares = [film("Java Heat", 0.41), film("Caged Heat", 0.38)]
    assert relevance("heat", named) >= load_gate().threshold
    assert relevance("the matrix", [film("The Matrix", 0.47)]) >= load_gate().threshold
    assert relevance("heat", shares) < relevance("heat", named)
