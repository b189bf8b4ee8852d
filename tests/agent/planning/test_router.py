"""The shipped router over the real MiniLM embedder: things to buy that start with a food
word go to shopping, the foods themselves to ideas."""

from __future__ import annotations

import pytest

from agent.planning.routed import routed_plan
from agent.planning.router import Router
from agent.understand.reader import understand
from tests.fakes import VOCAB
from tools.embeddings import load_embedder


@pytest.fixture(scope="module")
def router() -> Router:
    loaded = Router.load(load_embedder(64))
    assert loaded is not None
    return loaded


@pytest.mark.parametrize(
    "text", ["a salad bowl", "a cake stand", "rice cooker", "an ice cream maker", "lunch bag"]
)
def test_an_object_after_a_food_word_is_a_thing_to_buy(router: Router, text: str) -> None:
    assert router.route(text).best == "shopping"


@pytest.mark.parametrize("text", ["chicken soup", "roast chicken", "waffles for breakfast"])
def test_the_food_itself_is_a_recipe(router: Router, text: str) -> None:
    assert router.route(text).best == "ideas"


def test_a_food_word_before_an_object_is_not_a_recipe_cue(router: Router) -> None:
    understood = understand("a salad bowl", VOCAB)
    assert understood.segments[0].vertical is None
    assert understand("salad for lunch", VOCAB).segments[0].vertical == "ideas"
    weights = {sq.vertical: sq.weight for sq in routed_plan(understood, router).plan.subqueries}
    assert weights["shopping"] > weights.get("ideas", 0.0)
