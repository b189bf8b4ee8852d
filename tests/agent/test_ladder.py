"""The relaxation ladder: each step, its reason, and abstention when nothing is near."""

from __future__ import annotations

import pytest

from agent.deps import Deps
from agent.engine import Engine
from agent.models import SearchRequest, ToolResult
from agent.nodes.assess import is_weak
from agent.nodes.compose import compose
from agent.nodes.gate import gate
from agent.nodes.ladder import climb, core_text, nearest_category, plural, typed_clause
from agent.quality.relevance import load_gate
from tools.catalog import Product
from tools.contract import Hit, SubQuery
from tools.filters import Filters


def weak(text: str, filters: Filters | None = None) -> ToolResult:
    """A strict search that found only a far item."""
    sq = SubQuery(id="q1", text=text, tool="search_products", filters=filters or Filters())
    far = Hit(item=Product(id="far", title="Garden gnome"), score=1.0, similarity=0.05)
    return ToolResult(subquery=sq, hits=[far])


@pytest.mark.parametrize(
    ("topic", "note", "typed"),
    [
        ("zombie", "zombie films", "zombie films"),
        ("seats", "", "seats"),
        ("laptops", "cheaper than 900", "laptops"),
    ],
)
def test_meaning_only_reads_the_clause_as_typed_when_it_holds_the_topic(
    topic: str, note: str, typed: str
) -> None:
    sq = SubQuery(id="q1", text=topic, tool="search_videos", note=note)
    assert typed_clause(sq) == typed


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("desk chairs", "chairs"),
        ("orange backpacks", "backpacks"),
        ("a kettle to boil water for tea", "kettle"),
        ("chairs", None),
        ("something to sit on", None),
    ],
)
def test_the_core_of_a_request_is_its_head_noun(text: str, core: str | None) -> None:
    assert core_text(text) == core


def test_plurals_for_the_reason() -> None:
    assert [plural(w) for w in ("chair", "berry", "box", "chairs")] == [
        "chairs", "berries", "boxes", "chairs",
    ]  # fmt: skip


async def test_modifiers_dropped_first_and_the_reason_says_so(tiny_deps: Deps) -> None:
    result = weak("velvet office chairs", Filters(price_max=500))
    assert is_weak(result)
    climbed = await climb(tiny_deps, result, k=5)
    assert climbed is not None
    assert climbed.ladder == "No velvet office chairs \u2014 here are other chairs"
    assert "chair" in climbed.hits[0].item.title.lower()
    assert climbed.subquery.filters.price_max == 500
    [module] = compose([climbed], k=5)
    assert module.reason == climbed.ladder
    assert gate([module], [climbed])[0] == [module]


async def test_meaning_only_when_the_words_found_nothing_close(tiny_deps: Deps) -> None:
    climbed = await climb(tiny_deps, weak("chairs"), k=5)
    assert climbed is not None and climbed.ladder is not None
    assert "closest in meaning" in climbed.ladder
    assert "chair" in climbed.hits[0].item.title.lower()


async def test_the_nearest_category_when_no_item_is_close(tiny_deps: Deps) -> None:
    name, cosine = nearest_category(tiny_deps.index, "shopping", "seats") or ("", 0.0)
    assert name == "chairs" and cosine > load_gate().floor("shopping")
    climbed = await climb(tiny_deps, weak("seats"), k=5)
    assert climbed is not None
    assert (
        climbed.ladder
        == "Nothing close to \u201cseats\u201d \u2014 here are chairs products instead"
    )
    assert all("chair" in h.item.title.lower() for h in climbed.hits)


async def test_a_guessed_vertical_takes_no_step(tiny_deps: Deps) -> None:
    guessed = weak("velvet office chairs")
    guessed.subquery.weight = 0.5
    assert await climb(tiny_deps, guessed, k=5) is None


async def test_a_vertical_the_router_placed_climbs(tiny_deps: Deps) -> None:
    """The router's weight is its score (0.95 here), not 1.0: a clause it placed with
    confidence is asked for and climbs like one a cue word placed."""
    placed = weak("velvet office chairs")
    placed.subquery.weight = 0.95
    climbed = await climb(tiny_deps, placed, k=5)
    assert climbed is not None and climbed.ladder is not None


async def test_nothing_near_in_meaning_abstains(tiny_deps: Deps) -> None:
    assert await climb(tiny_deps, weak("winter tyres for a truck"), k=5) is None


async def test_a_page_for_words_no_item_carries(tiny_deps: Deps) -> None:
    page = await Engine(tiny_deps).search(SearchRequest(text="shop seats"))
    assert page.modules and page.modules[0].vertical == "shopping"
    assert "chair" in page.modules[0].items[0].title.lower()
    assert page.modules[0].reason.startswith("Nothing close to")


async def test_the_category_step_quotes_the_words_as_typed(tiny_deps: Deps) -> None:
    """The reason quotes the person's clause, not the search words the reader kept."""
    typed = weak("seats")
    typed.subquery.note = "some seats for the porch"
    climbed = await climb(tiny_deps, typed, k=5)
    assert climbed is not None and climbed.ladder is not None
    assert "\u201csome seats for the porch\u201d" in climbed.ladder
