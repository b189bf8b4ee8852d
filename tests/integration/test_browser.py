"""The chat page in a real browser (Debian chromium driven by Playwright) against uvicorn.

Needs `/usr/bin/chromium` (`apt-get install -y chromium`); Playwright's own browser
download is not used. Leaves screenshots in test-artifacts/, and writes the README's
picture (docs/screenshot.png) from the starter catalog when `TESSERA_HOME` holds it.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from agent.settings import Settings
from app import create_app
from tests.fakes import build_home

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ROOT / "docs" / "screenshot.png"
INTERNALS = re.compile(
    r"\b(planner|router|clauses?|vertical named|llm|sub-quer\w*|q\d+(?=\())", re.IGNORECASE
)
"""Words of the engine's own account of a page, which belong in its trace only."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
QUERY = "vegetarian soup recipes and a desk lamp under $40"
WAIT_MS = 60_000


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """uvicorn on a free loopback port, in a thread."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page over a small real index."""
    home = build_home(tmp_path_factory.mktemp("browser-home"))
    with serve(Settings(home=home, planner="rule")) as url:
        yield url


def outside_trace(turn: Any) -> str:
    """The turn's visible text without its "How this page was made" box."""
    return str(
        turn.evaluate(
            "node => { const c = node.cloneNode(true); c.querySelectorAll('details')"
            ".forEach(d => d.remove()); return c.innerText.toLowerCase(); }"
        )
    )


def assert_speaks_plainly(turn: Any) -> None:
    """No planner internals outside the trace, and the trace is collapsed."""
    shown = outside_trace(turn)
    assert not INTERNALS.findall(shown), shown
    assert turn.locator("details.steps").get_attribute("open") is None
    assert turn.locator("details.steps .planner").count() == 1


def assert_chips_lead_to_pages(base_url: str, turn: Any) -> list[str]:
    """Every related-search chip, searched as typed, gives a page with a module."""
    chips = turn.locator(".related .chip").all_inner_texts()
    for text in chips:
        found = httpx.post(f"{base_url}/v1/search", json={"query": text}, timeout=60).json()
        assert found["modules"], f"the related search {text!r} leads to an empty page"
    return chips


def test_chat_page_streams_modules_and_follows_a_related_search(base_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(
                viewport={"width": 1280, "height": 1000}, reduced_motion="reduce"
            )
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda msg: problems.append(msg.text) if msg.type == "error" else None,
            )
            page.goto(base_url)
            page.get_by_role("searchbox", name="Search").fill(QUERY)
            page.get_by_role("button", name="Search", exact=True).click()
            done = page.locator(".turn[aria-busy=false]")
            done.first.locator(".module").nth(1).wait_for(timeout=WAIT_MS)
            first = page.locator(".turn").first
            assert first.locator(".module").count() >= 2
            assert first.locator(".card").count() >= 4
            assert first.locator(".step").count() >= 4
            assert "rule" in (first.locator(".planner").text_content() or "")
            assert_speaks_plainly(first)
            assert assert_chips_lead_to_pages(base_url, first)
            prices = first.locator(".module--shopping .price").all_inner_texts()
            assert prices and all(float(p.strip("$").replace(",", "")) <= 40 for p in prices)
            titles = first.locator(".card-title").all_inner_texts()
            assert any("<em>glow</em>" in t for t in titles), "catalog text must stay text"
            assert first.locator(".card-title em").count() == 0
            thread_label = page.locator("#thread-label").get_attribute("title")
            assert thread_label
            page.screenshot(path=str(ARTIFACTS / "browser-chat.png"))

            chip = first.locator(".related .chip").first
            chip_text = chip.inner_text()
            chip.click()
            done.nth(1).wait_for(timeout=WAIT_MS)
            second = page.locator(".turn").nth(1)
            assert second.locator(".bubble").inner_text() == chip_text
            assert second.locator(".module").count() >= 1
            assert page.locator("#thread-label").get_attribute("title") == thread_label
            page.screenshot(path=str(ARTIFACTS / "browser-follow-up.png"))
            page.set_viewport_size({"width": 390, "height": 844})
            first.locator(".module").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-phone.png"))
        finally:
            browser.close()
    thread = httpx.get(f"{base_url}/v1/threads/{thread_label}", timeout=10).json()
    assert [t["text"] for t in thread["turns"]] == [QUERY, chip_text]
    assert not [m for m in problems if "Failed to load resource" not in m], problems


def test_a_corrected_search_says_so_and_one_click_searches_as_typed(base_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(reduced_motion="reduce")
            page.goto(base_url)
            page.get_by_role("searchbox", name="Search").fill("vegetarain soup")
            page.get_by_role("button", name="Search", exact=True).click()
            done = page.locator(".turn[aria-busy=false]")
            done.first.wait_for(timeout=WAIT_MS)
            first = page.locator(".turn").first
            note = first.locator(".spelling")
            assert " ".join(note.inner_text().split()) == (
                "Showing results for vegetarian soup. Search instead for vegetarain soup"
            )
            assert first.locator(".module").count() >= 1
            note.get_by_role("button").click()
            done.nth(1).wait_for(timeout=WAIT_MS)
            second = page.locator(".turn").nth(1)
            assert second.locator(".bubble").inner_text() == "vegetarain soup"
            assert second.locator(".spelling").count() == 0
        finally:
            browser.close()


README_QUERY = "vegetarian soup recipes and a desk lamp under $40"


def test_the_readme_screenshot_from_the_starter_catalog() -> None:
    """The page a newcomer sees on the starter catalog: plain words, chips that lead
    somewhere; its picture is the README's (docs/screenshot.png)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    settings = Settings(planner="rule")
    if not (settings.root / "index").is_dir():
        pytest.skip(f"no starter index under {settings.root}: tessera index --starter")
    sync_api = pytest.importorskip("playwright.sync_api")
    with serve(settings) as url, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            page.get_by_role("searchbox", name="Search").fill(README_QUERY)
            page.get_by_role("button", name="Search", exact=True).click()
            turn = page.locator(".turn[aria-busy=false]").first
            turn.locator(".related").wait_for(timeout=WAIT_MS)
            assert turn.locator(".module").count() >= 2
            assert_speaks_plainly(turn)
            assert assert_chips_lead_to_pages(url, turn)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
