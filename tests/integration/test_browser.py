"""The chat page in a real browser (Debian chromium driven by Playwright) against uvicorn.

Needs `/usr/bin/chromium` (`apt-get install -y chromium`); Playwright's own browser
download is not used. Leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from agent.settings import Settings
from app import create_app
from tests.fakes import build_home

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn on a free loopback port, in a thread, over a small real index."""
    home = build_home(tmp_path_factory.mktemp("browser-home"))
    app = create_app(Settings(home=home, planner="rule"))
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
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


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
            assert "rule" in first.locator(".planner").inner_text()
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
