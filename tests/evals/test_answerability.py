"""The answerability suite counts every module that answers nothing the request asked."""

from __future__ import annotations

from agent.models import Module, Page
from evals.suites.answerability import AnswerabilityCase, junk_modules, score_page


def module(mid: str, vertical: str, title: str) -> Module:
    return Module(id=mid, title=title, vertical=vertical, reason="r")


PAGE = Page(
    query="a pair of scissors",
    modules=[
        module("q2", "shopping", "Shop scissors"),
        module("q3", "video", "Scissors videos"),
        module("q1", "ideas", "Scissors ideas"),
    ],
)


def judge_titles(query: str, m: Module) -> bool:
    return "scissors" in m.title.lower() and "empty" not in m.title.lower()


def test_modules_of_verticals_nobody_asked_for_are_junk() -> None:
    case = AnswerabilityCase(id="c", query="a pair of scissors", answerable=True,
                             vertical="shopping")  # fmt: skip
    assert [m.id for m in junk_modules(case, PAGE, judge_titles)] == ["q3", "q1"]
    scores = score_page(case, PAGE, judge_titles)
    assert scores == {"junk_module_rate": 1.0, "module_recall": 1.0}


def test_a_module_of_the_asked_vertical_is_junk_when_the_judge_finds_nothing() -> None:
    case = AnswerabilityCase(id="c", query="a pair of scissors", answerable=True,
                             vertical="shopping")  # fmt: skip
    page = Page(query=case.query, modules=[module("q2", "shopping", "Shop empty")])
    assert score_page(case, page, judge_titles)["junk_module_rate"] == 1.0
    clean = Page(query=case.query, modules=[PAGE.modules[0]])
    assert score_page(case, clean, judge_titles)["junk_module_rate"] == 0.0


def test_every_module_of_an_unanswerable_request_is_junk() -> None:
    case = AnswerabilityCase(id="u", query="cordless drill", answerable=False)
    scores = score_page(case, PAGE, judge_titles)
    assert scores["junk_module_rate"] == scores["unanswerable_junk_rate"] == 1.0
    assert score_page(case, Page(query=case.query), judge_titles)["junk_module_rate"] == 0.0
