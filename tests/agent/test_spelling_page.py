"""Spelling correction and control characters end to end: engine, web API and CLI on a
small temporary index (Chroma + SQLite), rule planner."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from agent.cache import Caches
from agent.cli.main import main
from agent.deps import Deps, open_index
from agent.engine import Engine
from agent.models import Page, SearchRequest
from agent.settings import Settings
from tests.fakes import serve_app
from tools.catalog import CatalogItem, Idea, Product, Video

CATALOG: list[CatalogItem] = [
    *(
        Idea(id=f"lasagna-{n}", title=title, category="pasta", description=text)
        for n, (title, text) in enumerate(
            [
                ("Basic Lasagna", "Layers of pasta, meat sauce and cheese"),
                ("Vegetable Lasagna", "Courgette, spinach and ricotta between sheets of pasta"),
                ("Lasagna Rolls", "Rolled pasta sheets baked in tomato sauce"),
                ("Spinach Lasagna", "A green lasagna with bechamel"),
            ]
        )
    ),
    Idea(id="soup-1", title="Tomato Soup", category="soup", description="With basil"),
    Idea(id="soup-2", title="Lentil Soup", category="soup", description="Red lentils"),
    *(
        Product(
            id=f"cm-{n}",
            title=f"Coffee Maker — {colour}",
            price=40 + n,
            colors=[colour],
            category_path=["Kitchen Appliances", "Coffee Maker"],
            description="Drip coffee",
        )
        for n, colour in enumerate(["black", "white", "red"])
    ),  # fmt: skip
    Video(id="v1", title="The Godfather", genre=["Crime", "Drama"], duration_s=10500),
    Video(id="v2", title="Toy Story", genre=["Animation", "Comedy"], duration_s=4860),
]
HIDDEN = ("\x00", "\u202e", "\u2066", "\u200b", "\x1b")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spelling-home")
    index = open_index(Settings(home=root), create=True)
    index.upsert(CATALOG)
    index.close()
    return root


@pytest.fixture(scope="module")
def deps(home: Path) -> Iterator[Deps]:
    settings = Settings(home=home, planner="rule")
    index = open_index(settings)
    yield Deps(settings=settings, index=index, caches=Caches())
    index.close()


@pytest.fixture
async def client(home: Path, deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(Settings(home=home, planner="rule"), deps) as c:
        yield c


async def test_a_misspelled_dish_finds_it_and_the_page_says_so(deps: Deps) -> None:
    page = await Engine(deps).search(SearchRequest(text="lazagna"))
    assert page.spelling is not None
    assert (page.spelling.original, page.spelling.corrected) == ("lazagna", "lasagna")
    lead = page.modules[0]
    assert lead.vertical == "ideas"
    assert [i.title for i in lead.items[:3]] and all("Lasagna" in i.title for i in lead.items[:3])
    assert "spelling: 'lasagna'" in page.trace.steps[0].detail


async def test_exact_searches_the_words_as_typed(deps: Deps) -> None:
    page = await Engine(deps).search(SearchRequest(text="lazagna", exact=True))
    assert page.spelling is None
    assert "spelling" not in page.trace.steps[0].detail
    planned = next(s.detail for s in page.trace.steps if s.name == "planned")
    tools = [s.detail for s in page.trace.steps if s.name.startswith("tool:")]
    assert tools and all("'lazagna'" in t for t in tools), (planned, tools)


async def test_a_compound_is_split_as_the_catalog_writes_it(deps: Deps) -> None:
    page = await Engine(deps).search(SearchRequest(text="coffeemaker"))
    assert page.spelling is not None and page.spelling.corrected == "coffee maker"
    assert page.modules[0].vertical == "shopping"
    assert all("Coffee Maker" in i.title for i in page.modules[0].items)


def _hidden(page: Page) -> list[str]:
    texts = [page.query, *page.suggestions, *page.trace.notes, *page.trace.errors]
    texts += [t for m in page.modules for t in (m.title, m.reason, m.subquery)]
    return [t for t in texts if any(unicodedata.category(c) in ("Cc", "Cf") for c in t)]


@pytest.mark.parametrize(
    "typed",
    ["tomato\x00 soup", "\u202etomato soup\u202c", "tomato \u2066soup\u2069", "to\u200bmato soup",
     "\x1b[31mtomato\x1b[0m soup", "qzx\x00\u202e\u200b"],
)  # fmt: skip
async def test_control_characters_never_reach_the_page(deps: Deps, typed: str) -> None:
    page = await Engine(deps).search(SearchRequest(text=typed))
    assert _hidden(page) == []
    if typed != "qzx\x00\u202e\u200b":
        assert page.query == "tomato soup"
        assert page.modules and page.modules[0].vertical == "ideas"


async def test_web_search_with_a_nul_byte_is_a_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/search", json={"query": "tomato\x00 so\u200bup\u202e"})
    assert response.status_code == 200, response.text
    page = Page.model_validate(response.json())
    assert page.query == "tomato soup" and _hidden(page) == []
    assert not any(h in response.text for h in HIDDEN)


async def test_web_search_carries_spelling_and_honours_exact(client: httpx.AsyncClient) -> None:
    corrected = (await client.post("/v1/search", json={"query": "lazagna"})).json()
    assert corrected["spelling"] == {"original": "lazagna", "corrected": "lasagna"}
    exact = (await client.post("/v1/search", json={"query": "lazagna", "exact": True})).json()
    assert exact["spelling"] is None


async def test_only_control_characters_is_an_empty_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/search", json={"query": "\x00\u202e\u200b"})
    assert response.status_code == 422 and "query is empty" in response.text


def test_cli_prints_the_correction_and_has_exact(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TESSERA_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["search", "lazagna", "--planner", "rule"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "Showing results for lasagna. Search instead for lazagna: tessera search --exact lazagna"
        in out
    )
    assert main(["search", "lazagna", "--planner", "rule", "--exact", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spelling"] is None
