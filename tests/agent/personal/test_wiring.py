"""Personalisation wired end to end: the Engine, the impression log, the query graph, the CLI.

Everything runs on a real index (SQLite + Chroma, MiniLM) of dinner recipes, lamps and
a few films; each test gets its own events database under its own TESSERA_HOME.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.cache import Caches
from agent.cli.main import main
from agent.deps import Deps, open_index
from agent.engine import Engine
from agent.models import Page, SearchRequest
from agent.nodes.finish import merge
from agent.personal.exploration import ExplorationConfig, Explorer
from agent.personal.setup import Personal, open_personal
from agent.settings import Settings
from agent.trace import PersonalisationTrace
from evals.cli import SUITES
from evals.suites import load_suite
from tools.catalog import CatalogItem, Idea, Product, Video
from tools.events import Event, EventKind, EventStoreError
from tools.index import CatalogIndex

VEG = ["vegetarian"]


def dinner(id: str, title: str, text: str, diet: list[str] | None = None) -> Idea:
    return Idea(id=id, title=title, description=text, kind="recipe", category="dinner",
                diet=diet or [], tags=["dinner"])  # fmt: skip


CATALOG: list[CatalogItem] = [
    dinner("veg-curry", "Chickpea curry dinner", "Chickpeas and spinach in a tomato curry", VEG),
    dinner("veg-risotto", "Mushroom risotto dinner", "Creamy rice with mushrooms", VEG),
    dinner("veg-tacos", "Black bean tacos", "Black beans, avocado and salsa for dinner", VEG),
    dinner("veg-lasagne", "Vegetable lasagne", "Courgette, spinach and ricotta layers", VEG),
    dinner("veg-dal", "Red lentil dal", "Lentils with turmeric and cumin, an easy dinner", VEG),
    dinner("veg-stirfry", "Tofu stir fry", "Tofu, broccoli and peppers in soy sauce", VEG),
    dinner("beef", "Beef stroganoff dinner", "Beef strips in a creamy sauce"),
    dinner("chicken", "Roast chicken dinner", "A whole chicken roasted with garlic"),
    dinner("pork", "Pork chops dinner", "Pan-fried pork chops with apples"),
    dinner("lamb", "Lamb kebabs dinner", "Grilled lamb skewers with onions"),
    dinner("bolognese", "Spaghetti bolognese dinner", "Minced beef and tomato sauce on pasta"),
    dinner("fish", "Fish pie dinner", "Cod and prawns under mashed potato"),
    dinner("steak", "Steak and chips dinner", "Sirloin steak with fries"),
    dinner("sausage", "Sausage and mash dinner", "Pork sausages with onion gravy"),
    *[
        Product(id=f"lamp-{n}", title=f"{name} desk lamp", price=price, brand="Lumo",
                colors=[color], category_path=["Home", "Lamps"])
        for n, (name, price, color) in enumerate(
            [("Brass", 34.0, "gold"), ("LED", 22.0, "white"), ("Clip-on", 12.0, "black"),
             ("Architect", 55.0, "black"), ("Glass", 38.0, "white")]
        )
    ],
    Video(id="alien", title="Alien", genre=["Sci-Fi", "Horror"], duration_s=7020),
    Video(id="heat", title="Heat", genre=["Crime"], duration_s=10200),
]  # fmt: skip
VEG_IDS = {i.id for i in CATALOG if isinstance(i, Idea) and "vegetarian" in i.diet}
ENGAGED: list[tuple[str, EventKind]] = [
    ("veg-dal", "click"),
    ("veg-stirfry", "save"),
    ("veg-lasagne", "click"),
    ("veg-dal", "view"),
    ("veg-lasagne", "save"),
]
TWO_MODULES = "dinner ideas and a desk lamp"


@pytest.fixture(scope="module")
def index_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("personal-index")
    index = open_index(Settings(home=home), create=True)
    index.upsert(CATALOG)
    index.close()
    return home


@pytest.fixture(scope="module")
def index(index_home: Path) -> Iterator[CatalogIndex]:
    idx = open_index(Settings(home=index_home))
    yield idx
    idx.close()


MakeEngine = Callable[..., Engine]


@pytest.fixture
def make_engine(index: CatalogIndex, tmp_path: Path) -> Iterator[MakeEngine]:
    """Engines over the shared index with their events under this test's own home."""
    opened: list[Personal] = []

    def make(**overrides: Any) -> Engine:
        settings = Settings(
            home=tmp_path, planner="rule", **({"exploration_epsilon": 0.0} | overrides)
        )
        personal = open_personal(settings, index)
        opened.append(personal)
        return Engine(Deps(settings=settings, index=index, caches=Caches(), personal=personal))

    yield make
    for personal in opened:
        personal.close()


def personal_of(engine: Engine) -> Personal:
    assert engine.deps.personal is not None
    return engine.deps.personal


def engage(personal: Personal, user: str, items: list[tuple[str, EventKind]] = ENGAGED) -> None:
    for item_id, kind in items:
        personal.record(Event(user_id=user, item_id=item_id, vertical="ideas", kind=kind))


async def search(engine: Engine, text: str, user: str | None = None, k: int = 6) -> Page:
    return await engine.search(SearchRequest(text=text, user_id=user, k=k))


def ideas(page: Page) -> list[str]:
    return [i.id for m in page.modules if m.vertical == "ideas" for i in m.items]


def veg_score(ids: list[str]) -> float:
    """Reciprocal-rank mass of vegetarian items: higher when they sit nearer the top."""
    return sum(1 / (n + 1) for n, i in enumerate(ids) if i in VEG_IDS)


async def test_vegetarian_history_lifts_vegetarian_dinners(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engage(personal_of(engine), "veg-fan")
    anonymous = await search(engine, "dinner ideas")
    personal = await search(engine, "dinner ideas", "veg-fan")
    assert anonymous.trace.personalisation == PersonalisationTrace(
        applied=False,
        reason="anonymous request (no user_id)",
    )
    assert veg_score(ideas(personal)) > veg_score(ideas(anonymous))
    assert len(set(ideas(personal)) & VEG_IDS) > len(set(ideas(anonymous)) & VEG_IDS)
    report = personal.trace.personalisation
    assert report.applied is True and 0 < report.weight <= 0.3
    (shift,) = report.modules
    assert shift.module_id == personal.modules[0].id
    assert shift.items_new >= 1 and shift.items_moved >= shift.items_new
    assert shift.score_after == personal.modules[0].score
    ranked = next(s for s in personal.trace.steps if s.name == "ranked")
    assert "personalised" in ranked.detail and ranked.ok
    assert personal.user_id == "veg-fan" and anonymous.user_id is None


async def test_modules_are_cut_to_k_with_and_without_a_user(make_engine: MakeEngine) -> None:
    engine = make_engine()
    engage(personal_of(engine), "veg-fan")
    for user in (None, "veg-fan", "newcomer"):
        page = await search(engine, TWO_MODULES, user, k=3)
        assert len(page.modules) == 2
        assert all(len(m.items) == 3 for m in page.modules), user


async def test_each_user_page_is_logged_with_its_propensity(make_engine: MakeEngine) -> None:
    engine = make_engine(exploration_epsilon=0.5)
    log = personal_of(engine).impressions
    pages = [await search(engine, TWO_MODULES, "alice") for _ in range(6)]
    assert len({p.page_id for p in pages}) == 6
    for page in pages:
        logged = log.get(page.page_id)
        assert logged is not None and logged.user_id == "alice" and logged.query == TWO_MODULES
        assert list(logged.shown) == [m.id for m in page.modules]
        assert logged.propensity == pytest.approx(0.5)
        assert [m.items for m in logged.modules] == [[i.id for i in m.items] for m in page.modules]
        exploration = page.trace.personalisation.exploration
        assert exploration.logged is True and exploration.propensity == pytest.approx(0.5)
        assert exploration.explored == (exploration.shown != exploration.ranked)
    anonymous = await search(engine, TWO_MODULES)
    assert log.get(anonymous.page_id) is None
    assert len(log.pages(user_id="alice")) == 6


async def test_a_failed_log_write_is_traced_not_fatal(
    make_engine: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine()

    def broken(*_: object) -> None:
        raise EventStoreError("disk full")

    monkeypatch.setattr(personal_of(engine).impressions, "log", broken)
    page = await search(engine, "dinner ideas", "bob")
    assert page.modules and "disk full" in page.trace.personalisation.error
    assert page.trace.personalisation.exploration.logged is False
    ranked = next(s for s in page.trace.steps if s.name == "ranked")
    assert not ranked.ok and "impression not logged" in ranked.detail


async def test_an_unreadable_profile_leaves_the_page_unpersonalised(
    make_engine: MakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine()
    anonymous = await search(engine, "dinner ideas")

    def broken(_: str) -> None:
        raise EventStoreError("database is locked")

    monkeypatch.setattr(personal_of(engine).profiles, "get", broken)
    page = await search(engine, "dinner ideas", "carol")
    report = page.trace.personalisation
    assert report.applied is False and "database is locked" in report.reason
    assert ideas(page) == ideas(anonymous)


async def test_forgetting_a_user_unpersonalises_their_next_page(make_engine: MakeEngine) -> None:
    engine = make_engine()
    personal = personal_of(engine)
    engage(personal, "dora")
    anonymous = await search(engine, "dinner ideas")
    before = await search(engine, "dinner ideas", "dora")
    assert before.trace.personalisation.applied is True
    assert ideas(before) != ideas(anonymous)
    report = personal.forget("dora")
    assert (report.events, report.impressions, report.profile) == (len(ENGAGED), 1, True)
    assert personal.events.events("dora") == [] and personal.profile_summary("dora") is None
    after = await search(engine, "dinner ideas", "dora")
    assert after.trace.personalisation.applied is False
    assert after.trace.personalisation.reason == "no engagement history"
    assert ideas(after) == ideas(anonymous)


async def test_profile_summary_names_the_interests(make_engine: MakeEngine) -> None:
    personal = personal_of(make_engine())
    engage(personal, "erin")
    summary = personal.profile_summary("erin")
    assert summary is not None and summary.events == len(ENGAGED)
    assert summary.interests and sum(i.weight for i in summary.interests) == pytest.approx(1.0)
    titles = {e.title for i in summary.interests for e in i.examples}
    assert titles <= {"Red lentil dal", "Tofu stir fry", "Vegetable lasagne"} and titles


async def test_suggestions_lead_with_the_query_graph_once_built(make_engine: MakeEngine) -> None:
    engine = make_engine()
    personal = personal_of(engine)
    engage(personal, "fred")
    first = await search(engine, "dinner ideas", "fred")
    suggested = next(s for s in first.trace.steps if s.name == "suggested")
    assert "query graph not built yet" in suggested.detail
    graph = personal.wait_for_query_graph(timeout=60)
    assert graph is not None
    page = await search(engine, "dinner ideas", "fred")
    expected = graph.recommend("dinner ideas", personal.profiles.get("fred"), k=4)
    assert expected and page.suggestions[: len(expected)] == expected
    assert len(page.suggestions) == len({s.lower() for s in page.suggestions}) <= 8
    assert "dinner ideas" not in page.suggestions


def test_merge_dedupes_ignoring_case_and_drops_the_query() -> None:
    merged = merge(["Vegetarian recipes", "soup"], ["vegetarian  recipes", "Soup", "x"], "SOUP")
    assert merged == ["Vegetarian recipes", "x"]
    assert len(merge([str(n) for n in range(20)], [], "q")) == 8


async def test_the_query_graph_is_rebuilt_when_the_index_changes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, planner="rule")
    index = open_index(settings, create=True)
    index.upsert(CATALOG[:8])
    personal = open_personal(settings, index)
    try:
        first = personal.wait_for_query_graph(timeout=60)
        assert first is not None and personal.query_graph() is first
        index.upsert(CATALOG[8:14])
        assert personal.query_graph() is first
        second = personal.wait_for_query_graph(timeout=60)
        assert second is not None and second is not first
    finally:
        personal.close()
        index.close()


async def test_engine_from_open_deps_personalises(index_home: Path, tmp_path: Path) -> None:
    from agent.deps import open_deps

    home = tmp_path / "home"
    shutil.copytree(index_home, home)
    async with open_deps(Settings(home=home, planner="rule", exploration_epsilon=0.0)) as deps:
        assert deps.personal is not None
        engage(deps.personal, "gail")
        page = await Engine(deps).search(SearchRequest(text="dinner ideas", user_id="gail"))
        assert page.trace.personalisation.applied is True


@pytest.fixture
def cli_home(index_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(index_home, home)
    monkeypatch.setenv("TESSERA_HOME", str(home))
    monkeypatch.setenv("TESSERA_PLANNER", "rule")
    monkeypatch.setenv("COLUMNS", "200")
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_event_profile_search_and_forget(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for item, kind in ENGAGED:
        code, out, _ = run(capsys, "event", "hana", item, "--vertical", "ideas", "--kind", kind)
        assert code == 0 and f"{kind} #" in out and f"ideas:{item}" in out
    code, _, err = run(capsys, "event", "hana", "no-such-dish", "--vertical", "ideas")
    assert code == 2 and "no ideas item 'no-such-dish'" in err
    code, out, _ = run(capsys, "profile", "hana", "--json")
    profile = json.loads(out)
    assert code == 0 and profile["events"] == len(ENGAGED) and profile["interests"]
    code, out, _ = run(capsys, "profile", "hana")
    assert code == 0 and "Red lentil dal" in out
    code, out, _ = run(capsys, "search", "dinner ideas", "--user", "hana", "--json", "--k", "6")
    page = json.loads(out)
    assert code == 0 and page["user_id"] == "hana"
    assert page["trace"]["personalisation"]["applied"] is True
    code, out, _ = run(capsys, "forget", "hana")
    assert code == 0 and f"{len(ENGAGED)} event(s), 1 logged page(s), profile" in out
    code, _, err = run(capsys, "profile", "hana")
    assert code == 2 and "no events recorded" in err


async def test_cli_ips_estimates_candidates_from_logged_pages(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "ips")
    assert code == 2 and "no logged pages" in err
    settings = Settings(exploration_epsilon=0.5, planner="rule")
    index = open_index(settings)
    personal = open_personal(settings, index)
    personal.explorer = Explorer(ExplorationConfig(epsilon=0.5), seed=7)
    engine = Engine(Deps(settings=settings, index=index, personal=personal))
    clicks: dict[str, int] = {}
    for n in range(8):
        user = f"u{n % 3}"
        page = await search(engine, TWO_MODULES, user, k=3)
        clicks[page.page_id] = n % 2
        if n % 2:
            lamp = next(m for m in page.modules if m.vertical == "shopping")
            event = Event(user_id=user, item_id=lamp.items[0].id, vertical="shopping",
                          kind="click", page_id=page.page_id, module_id=lamp.id)  # fmt: skip
            personal.record(event)
    logs = personal.impressions.logged_pages(personal.events)
    personal.close()
    index.close()
    code, out, _ = run(capsys, "ips", "--json")
    rows = {r["name"]: r["estimate"] for r in json.loads(out)}
    assert code == 0
    assert set(rows) == {"logging", "by-score", "vertical-prior", "current", "learned"}
    assert all(r["n"] == 8 for r in rows.values())
    assert rows["logging"]["value"] == pytest.approx(sum(clicks.values()) / 8)
    unexplored = [p.impression.page_id for p in logs if not p.impression.explored]
    assert 0 < len(unexplored) < 8
    assert rows["by-score"]["matched_share"] == pytest.approx(len(unexplored) / 8)
    assert rows["by-score"]["value"] == pytest.approx(
        sum(clicks[p] for p in unexplored) / len(unexplored)
    )
    assert rows["current"]["value"] == pytest.approx(rows["by-score"]["value"])
    code, out, _ = run(capsys, "ips", "--candidate", "by-score", "--target", "page")
    assert code == 0 and "by-score" in out and "vertical-prior" not in out


def test_the_personalisation_suite_is_registered() -> None:
    assert "personalisation" in SUITES
    assert load_suite("personalisation").name == "personalisation"
