"""Relevance judged from an item's own fields, and the page suite's abstention credit."""

from __future__ import annotations

from agent.models import Module, Page
from agent.trace import Trace
from evals.judge import answers
from evals.suites.page import PageCase, credited, score_modules_after_abstention
from tools.catalog import Idea, Product


def test_an_item_answers_with_its_head_word_and_other_words() -> None:
    assert answers("rice cooker", Product(id="p1", title="Rice Cooker, 6 cups", price=30.0))
    assert not answers("rice cooker", Product(id="p2", title="Tea Kettle", price=20.0))
    assert not answers("garden hose reel", Product(id="p3", title="Garden Hose 25ft", price=9.0))
    assert answers("chicken curry", Idea(id="i1", title="Curry", ingredients=["chicken thighs"]))


def page(*verticals: str, notes: tuple[str, ...] = ()) -> Page:
    modules = [Module(id=f"m{i}", title=v, vertical=v, reason="t", items=[])
               for i, v in enumerate(verticals)]  # fmt: skip
    return Page(query="q", modules=modules, trace=Trace(planner="rule", notes=list(notes)))


CASE = PageCase(
    id="p", query="bread recipes and a kitchen scale", expected=["ideas", "shopping"],
    intents=["bread", "kitchen scale"],
)  # fmt: skip


def test_abstention_is_credited_only_when_verified_and_said() -> None:
    said = page("ideas", notes=("no good matches for 'a kitchen scale' in this catalog",))
    assert credited(CASE, said, {1}) == [1]
    assert credited(CASE, said, set()) == []
    assert credited(CASE, page("ideas"), {1}) == []
    assert score_modules_after_abstention(CASE.expected, ["ideas"], [1])["module_f1"] == 1.0
    assert score_modules_after_abstention(CASE.expected, ["ideas"], [])["module_f1"] < 1.0


def test_a_module_shown_for_an_unanswerable_intent_costs_precision() -> None:
    shown = score_modules_after_abstention(CASE.expected, ["ideas", "shopping"], [1])
    assert shown["module_precision"] == 0.5
    assert score_modules_after_abstention(["shopping"], [], [0])["module_f1"] == 1.0
    assert score_modules_after_abstention(["shopping"], ["shopping"], [0])["module_f1"] == 0.0
