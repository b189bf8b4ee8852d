"""The understanding suite scores user-phrased requests by the page they get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from agent.models import Module, Page, ResultItem
from agent.settings import Settings
from evals.suites import DATA_DIR, EvalConfigError, EvalContext, half, load_suite, read_cases
from evals.suites.understanding import UnderstandingCase, routing_f1, score_page
from evals.topic import matches, on_topic


def idea(title: str, category: str | None = None) -> ResultItem:
    return ResultItem(id=title, vertical="ideas", title=title, score=1.0, category=category)


def product(title: str, price: float, colors: list[str]) -> ResultItem:
    return ResultItem(
        id=title, vertical="shopping", title=title, score=1.0, price=price, colors=colors
    )


def page_of(*modules: tuple[str, list[ResultItem]]) -> Page:
    return Page(
        query="q",
        modules=[
            Module(id=f"q{n}", title="t", vertical=v, reason="r", items=items)
            for n, (v, items) in enumerate(modules)
        ],
    )


def case(**fields: object) -> UnderstandingCase:
    return UnderstandingCase.model_validate({"id": "c", "query": "q", "split": "dev"} | fields)


def test_accept_words_meet_on_word_boundaries_plural_and_category() -> None:
    assert matches("Chocolate Chip Cookies", ["cookie"])
    assert matches("Creme Brulee", ["crème brûlée"])
    assert not matches("Fluffy Pancakes", ["cake"])
    assert not matches("Lasagna Soup", ["lasagna rolls"])
    assert on_topic(idea("Grandma's Best", "Lasagna"), ["lasagna"])
    video = ResultItem(id="v", vertical="video", title="Alien", score=1.0, genre=["Horror"])
    assert on_topic(video, ["horror"]) and not on_topic(video, ["comedy"])


def test_a_handcrafted_page_scores_as_defined() -> None:
    lasagna = case(query="lazagna", vertical="ideas", accept=["lasagna"])
    three = [idea("Lasagna"), idea("Salad"), idea("Veggie Lasagnas"), idea("Bread"),
             idea("Pie", "Lasagna"), idea("Lasagna Soup")]  # fmt: skip
    assert score_page(lasagna, page_of(("ideas", three))) == {
        "routing_f1": 1.0, "answered": 1.0, "empty": 0.0}  # fmt: skip
    two = [idea("Lasagna"), idea("Salad"), idea("Bread"), idea("Pie"), idea("Stew"),
           idea("Lasagna Soup")]  # fmt: skip
    assert score_page(lasagna, page_of(("ideas", two)))["answered"] == 0.0
    assert score_page(lasagna, page_of(("video", three), ("ideas", three)))["answered"] == 0.0
    assert score_page(lasagna, Page(query="q"))["empty"] == 1.0
    bound = {"price_max": 200, "colors": ["blue"]}
    chairs = case(vertical="shopping", accept=["chair"], bound=bound)
    kept = score_page(chairs, page_of(("shopping", [product("Blue chair", 99, ["blue"])])))
    assert kept["bound_kept"] == 1.0 and kept["answered"] == 0.0
    broken = [product("Blue chair", 99, ["blue"]), product("Big chair", 399, ["blue"])]
    assert score_page(chairs, page_of(("shopping", broken)))["bound_kept"] == 0.0
    drill = case(vertical=None)
    assert score_page(drill, page_of(("shopping", broken))) == {"routing_f1": 0.0, "junk": 1.0}
    assert score_page(drill, Page(query="q")) == {"routing_f1": 1.0, "junk": 0.0}


def test_routing_f1_is_macro_over_expected_classes() -> None:
    assert routing_f1(["ideas", "video"], ["ideas", "video"]) == 1.0
    assert routing_f1(["ideas", "none"], ["ideas", "ideas"]) == pytest.approx((2 / 3 + 0) / 2)


def test_the_shipped_cases_are_valid_and_split_in_halves() -> None:
    for path in sorted((DATA_DIR / "understanding").glob("*.jsonl")):
        cases = read_cases(path, UnderstandingCase)
        assert {c.split for c in cases} == {"dev", "heldout"}, path


def test_cases_need_accept_words_and_a_known_split() -> None:
    with pytest.raises(ValueError, match="accept"):
        case(vertical="ideas")
    cases = [case(vertical=None), case(id="h", vertical=None, split="heldout")]
    assert [c.id for c in half(cases, None)] == ["c"]
    assert [c.id for c in half(cases, "all")] == ["c", "h"]
    with pytest.raises(EvalConfigError):
        half(cases, "test")


async def test_the_suite_runs_threads_through_the_engine(tiny_home: Path, tmp_path: Path) -> None:
    rows = [
        {"id": "s", "query": "soup", "vertical": "ideas", "accept": ["soup"], "split": "dev"},
        {"id": "b", "thread": ["office chair under $200"], "query": "only in blue",
         "vertical": "shopping", "accept": ["chair"], "bound": {"price_max": 200,
         "colors": ["blue"]}, "split": "dev"},
        {"id": "h", "query": "soup", "vertical": "ideas", "accept": ["soup"], "split": "heldout"},
    ]  # fmt: skip
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    ctx = EvalContext(
        settings=Settings(home=tiny_home, llm_autostart=False),
        dataset=str(data),
        console=Console(quiet=True),
    )
    report = await load_suite("understanding").run(ctx, ["rule"])
    (config,) = report.configs
    assert config.error is None
    by_id = {c.id: c for c in config.cases}
    assert set(by_id) == {"s", "b"}
    assert by_id["s"].metrics["answered"] == 1.0
    assert by_id["b"].metrics["bound_kept"] == 1.0
    assert by_id["b"].detail["lead_items"] == ["Task office chair"]
    assert config.summary["routing_f1"] == 1.0 and config.summary["empty"] == 0.0
