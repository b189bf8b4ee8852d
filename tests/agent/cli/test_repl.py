"""The chat REPL driven by scripted lines against a real small index and thread store."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.console import Console

from agent.cli.render_live import NoPage, follow_stream
from agent.cli.repl import PROMPT, ChatRepl
from agent.deps import Deps
from agent.engine import Engine, StreamEvent, UnknownThread
from agent.memory import open_checkpointer
from agent.models import Page, SearchRequest
from agent.settings import Settings
from agent.trace import TraceStep
from tools.catalog import CatalogItem, Idea, Product, Video
from tools.embeddings import Embedder, load_embedder
from tools.index import CatalogIndex

T = TypeVar("T")


def catalog() -> list[CatalogItem]:
    chairs: list[CatalogItem] = [
        Product(
            id=f"chair-{n}",
            title=f"{style} office chair",
            price=price,
            brand="Hon",
            colors=["black"],
            category_path=["Furniture", "Chairs"],
            rating=4.0,
        )
        for n, (style, price) in enumerate(
            [
                ("Mesh", 49.0),
                ("Task", 59.0),
                ("Basic", 69.0),
                ("Compact", 79.0),
                ("Ergonomic", 129.0),
                ("Executive", 189.0),
                ("Leather", 240.0),
            ]
        )
    ]
    return [
        *chairs,
        Product(
            id="lamp-1",
            title="Brass desk lamp",
            price=35.0,
            colors=["gold"],
            category_path=["Home", "Lighting"],
        ),
        Idea(
            id="soup-1",
            title="Vegetarian lentil soup",
            kind="recipe",
            category="soup",
            total_time_min=40,
            diet=["vegetarian"],
            ingredients=["lentils", "carrot"],
        ),
        Idea(
            id="pasta-1",
            title="Pasta carbonara",
            kind="recipe",
            category="dinner",
            total_time_min=25,
            ingredients=["pasta", "egg"],
        ),
        Video(
            id="vid-1",
            title="How to set up an office chair",
            duration_s=420,
            genre=["Documentary"],
            published=date(2020, 5, 1),
        ),
    ]


@dataclass
class Session:
    """A runner with an open thread store and an engine over the test index."""

    runner: asyncio.Runner
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(Settings().query_cache_size)


@pytest.fixture
def index(tmp_path: Path, embedder: Embedder) -> Iterator[CatalogIndex]:
    idx = CatalogIndex(Settings(home=tmp_path).index_dir, embedder, create=True)
    idx.upsert(catalog())
    yield idx
    idx.close()


@contextmanager
def open_session(settings: Settings, index: CatalogIndex) -> Iterator[Session]:
    """An event loop and a thread store that live for the `with` block, like one CLI run."""
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        saver = runner.run(stack.enter_async_context(open_checkpointer(settings)))
        try:
            yield Session(runner, Engine(Deps(settings=settings, index=index), saver), settings)
        finally:
            runner.run(stack.aclose())


@pytest.fixture
def session(tmp_path: Path, index: CatalogIndex) -> Iterator[Session]:
    with open_session(Settings(home=tmp_path, planner="rule"), index) as opened:
        yield opened


@dataclass
class Run:
    code: int
    out: str
    repl: ChatRepl
    prompts: int


def drive(session: Session, lines: list[str], *, repl: ChatRepl | None = None) -> Run:
    """Feed `lines` to the REPL's loop; end of the script is Ctrl-D (EOFError)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, force_terminal=False)
    script = iter(lines)
    prompts: list[str] = []

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        line = next(script, None)
        if line is None:
            raise EOFError
        return line

    if repl is None:
        repl = ChatRepl(session.engine, console, read_line)
    else:
        repl.console, repl.read_line = console, read_line
    code = repl.loop(session.runner.run)
    assert set(prompts) <= {PROMPT}
    return Run(code, buffer.getvalue(), repl, len(prompts))


def test_two_turns_follow_up_then_history(session: Session) -> None:
    lines = ["/trace", "office chairs under $200", "cheaper", "/history", "/exit"]
    result = drive(session, lines)
    assert result.code == 0
    thread = result.repl.thread_id
    assert thread is not None and f"new thread {thread}" in result.out
    assert "✓ understood" in result.out and "follow-up: cheaper" in result.out
    turns = session.runner.run(session.engine.history(thread))
    assert [t.text for t in turns] == ["office chairs under $200", "cheaper"]
    ceilings = [t.plan.subqueries[0].filters.price_max for t in turns]
    assert ceilings[0] == 200 and ceilings[1] is not None and ceilings[1] < 200
    history = result.out[result.out.index(f"thread {thread} · 2 turns") :]
    assert "1. office chairs under $200" in history and "2. cheaper" in history
    for turn in turns:
        assert turn.page_summary and all(title in history for title in turn.page_summary)
    assert "Leather office chair" not in result.out


def test_threads_persist_across_restarts(tmp_path: Path, index: CatalogIndex) -> None:
    settings = Settings(home=tmp_path, planner="rule")
    with open_session(settings, index) as first:
        thread = drive(first, ["office chairs under $200"]).repl.thread_id
    assert thread is not None and settings.threads_db.is_file()

    with open_session(settings, index) as second:
        repl = ChatRepl(second.engine, Console(file=io.StringIO()))
        turns = second.runner.run(repl.resume(thread))
        assert [t.text for t in turns] == ["office chairs under $200"]
        result = drive(second, ["/trace", "cheaper", "/history"], repl=repl)
    assert "new thread" not in result.out
    assert "follow-up: cheaper" in result.out and "2 turns" in result.out


def test_pages_keep_how_they_were_made_to_themselves_unless_asked(session: Session) -> None:
    result = drive(session, ["office chairs under $200"])
    assert "Shop office chairs" in result.out
    assert "✓ understood" not in result.out and "planner:" not in result.out
    traced = drive(session, ["/trace", "office chairs under $200"])
    assert "How this page was made" in traced.out and "planner:" in traced.out


def test_resume_unknown_thread_raises(session: Session) -> None:
    repl = ChatRepl(session.engine, Console(file=io.StringIO()))
    with pytest.raises(UnknownThread):
        session.runner.run(repl.resume("no-such-thread"))
    assert repl.thread_id is None


def test_new_and_threads(session: Session) -> None:
    result = drive(session, ["office chairs", "/new", "pasta recipes", "/threads"])
    ids = [line.split()[-1] for line in result.out.splitlines() if line.startswith("new thread")]
    assert len(ids) == 2 and ids[0] != ids[1]
    listing = result.out[result.out.index("recent threads") :].splitlines()[1:]
    assert listing[0].split()[:2] == ["*", ids[1]] and '"pasta recipes"' in listing[0]
    assert listing[1].split()[0] == ids[0] and '"office chairs"' in listing[1]


def test_json_toggle_prints_the_page_contract(session: Session) -> None:
    result = drive(session, ["/json", "vegetarian soup recipes", "/json"])
    assert "JSON output on" in result.out and "JSON output off" in result.out
    assert "✓ understood" not in result.out
    start = result.out.index("\n{") + 1
    data, _ = json.JSONDecoder().raw_decode(result.out[start:])
    page = Page.model_validate(data)
    assert page.thread_id == result.repl.thread_id and page.query == "vegetarian soup recipes"
    assert page.modules[0].items[0].id == "soup-1"


def test_blank_lines_unknown_commands_and_exit(session: Session) -> None:
    result = drive(session, ["", "   ", "/bogus", "/help", "/history", "/quit", "never read"])
    assert result.code == 0 and result.prompts == 6
    commands = "/new /threads /history /json /trace /image /exact /help /exit"
    assert f"unknown command /bogus; try {commands}" in result.out
    assert "/threads  list recent threads" in result.out
    assert "no turns yet in this thread" in result.out
    assert result.repl.thread_id is None
    assert session.runner.run(session.engine.threads()) == []


def test_end_of_input_exits_cleanly(session: Session) -> None:
    assert drive(session, []).code == 0


class FlakyEngine(Engine):
    """Fails the first turn the way a broken backend would; later turns run for real."""

    failures = 1

    async def stream(
        self, request: SearchRequest, *, new_thread: bool = False
    ) -> AsyncIterator[StreamEvent]:
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        async for event in super().stream(request, new_thread=new_thread):
            yield event


def test_a_failed_turn_is_reported_and_the_loop_goes_on(session: Session) -> None:
    session.engine = FlakyEngine(session.engine.deps, session.engine._checkpointer)
    result = drive(session, ["office chairs", "office chairs", "/history"])
    assert "error: OSError: disk I/O error" in result.out
    assert result.out.count("Shop office chairs") >= 1
    assert "1 turn" in result.out


def test_ctrl_c_clears_the_prompt_or_cancels_the_turn(session: Session) -> None:
    calls = {"read": 0, "run": 0}
    lines = iter(["office chairs", "/exit"])

    def read_line(prompt: str) -> str:
        calls["read"] += 1
        if calls["read"] == 1:
            raise KeyboardInterrupt
        return next(lines)

    def run(coro: Coroutine[Any, Any, T]) -> T:
        calls["run"] += 1
        if calls["run"] == 1:
            coro.close()
            raise KeyboardInterrupt
        return session.runner.run(coro)

    buffer = io.StringIO()
    repl = ChatRepl(session.engine, Console(file=buffer, color_system=None), read_line)
    assert repl.loop(run) == 0
    assert "^C" in buffer.getvalue() and "turn cancelled" in buffer.getvalue()
    assert calls == {"read": 3, "run": 2}


async def test_follow_stream_without_a_page_raises() -> None:
    async def steps() -> AsyncIterator[StreamEvent]:
        yield StreamEvent(kind="step", step=TraceStep(name="understood", detail="1 intent(s)"))

    buffer = io.StringIO()
    with pytest.raises(NoPage):
        await follow_stream(steps(), Console(file=buffer, color_system=None))
    assert "✓ understood  1 intent(s)" in buffer.getvalue()


def test_a_corrected_turn_says_so_and_exact_searches_it_as_typed(session: Session) -> None:
    result = drive(session, ["ofice chairs", "/exact", "/exit"])
    out = " ".join(result.out.split())
    assert "Showing results for office chairs. Search instead for ofice chairs: /exact" in out
    turns = session.runner.run(session.engine.history(result.repl.thread_id or ""))
    assert [t.text for t in turns] == ["ofice chairs", "ofice chairs"]
    assert out.count("Showing results for") == 1
