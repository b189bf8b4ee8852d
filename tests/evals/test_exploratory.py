"""The exploratory suite credits a module with an aspect only when its first items are on it."""

from __future__ import annotations

from collections import Counter

from agent.models import Module, Page, ResultItem
from evals.runner import Observation
from evals.suites import DATA_DIR, read_cases
from evals.suites.exploratory import ExploratoryCase, score_page, score_pages, summarise


def items(vertical: str, *titles: str) -> list[ResultItem]:
    return [ResultItem(id=t, vertical=vertical, title=t, score=1.0) for t in titles]


def module(mid: str, vertical: str, *titles: str) -> Module:
    return Module(id=mid, title=mid, vertical=vertical, reason="r", items=items(vertical, *titles))


BURGER_NIGHT = ExploratoryCase.model_validate(
    {
        "id": "ex", "intent": "burger night", "kind": "occasion", "rarity": "common",
        "split": "dev",
        "aspects": [
            {"vertical": "ideas", "name": "burgers", "accept": ["burger", "slider"]},
            {"vertical": "ideas", "name": "sides", "accept": ["fries", "coleslaw"]},
            {"vertical": "shopping", "name": "grill", "accept": ["grill"]},
        ],
    }
)  # fmt: skip
PAGE = Page(
    query="burger night",
    modules=[
        module("burgers", "ideas", "Double Hamburgers", "Grilled Sliders", "Spelt Burger"),
        module("sides", "ideas", "Nigerian Coleslaw", "Salad", "Soup", "Stew", "Rice", "Fries"),
        module("films", "video", "Burger Wars", "The Burger King"),
        module("grills", "shopping", "Mesh office chair", "Charcoal grill"),
    ],
)


def test_aspects_are_covered_by_two_of_the_first_five_items() -> None:
    scores = score_page(BURGER_NIGHT, PAGE)
    assert scores["aspect_coverage"] == 1 / 3
    assert scores["pages_2plus"] == 1.0 and scores["empty"] == 0.0
    assert scores["modules_no_aspect"] == 3 / 4


def test_an_empty_page_covers_nothing_and_shows_no_module() -> None:
    scores = score_page(BURGER_NIGHT, Page(query="burger night"))
    assert scores == {
        "aspect_coverage": 0.0, "aspect_coverage_common": 0.0, "pages_2plus": 0.0, "empty": 1.0
    }  # fmt: skip


def test_modules_no_aspect_is_pooled_over_modules_and_coverage_split_by_rarity() -> None:
    rare = BURGER_NIGHT.model_copy(update={"id": "r", "rarity": "rare"})
    one = Page(query="q", modules=[PAGE.modules[0]])
    results = score_pages(
        [Observation(BURGER_NIGHT, PAGE, None, 1.0), Observation(rare, one, None, 1.0)]
    )
    summary = summarise(results)
    assert summary["modules_no_aspect"] == 3 / 5
    assert summary["aspect_coverage_common"] == summary["aspect_coverage_rare"] == 1 / 3
    assert results[0].detail["missed"] == ["ideas: sides", "shopping: grill"]


def test_the_shipped_intents_are_many_varied_and_halved() -> None:
    cases = read_cases(DATA_DIR / "exploratory.jsonl", ExploratoryCase)
    assert len(cases) >= 80
    assert [c.split for c in cases[:4]] == ["dev", "heldout", "dev", "heldout"]
    assert set(Counter(c.kind for c in cases)) == {"occasion", "season", "activity", "plan"}
    assert min(Counter(c.rarity for c in cases).values()) >= 30
    assert len({c.intent for c in cases}) == len(cases)
