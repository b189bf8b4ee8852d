"""`tessera chat` in a pseudo-terminal: two turns, exit, resume, history, unknown thread."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tools.catalog import CatalogItem, Idea, Product, Video

pytestmark = pytest.mark.integration

TESSERA = Path(sys.executable).with_name("tessera")
PROMPT = "tessera> "
TIMEOUT_S = 120
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\r")


def rows() -> list[CatalogItem]:
    chairs: list[CatalogItem] = [
        Product(
            id=f"chair-{n}",
            title=f"{style} office chair",
            price=price,
            brand="Hon",
            colors=["black"],
            category_path=["Furniture", "Chairs"],
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
        Idea(
            id="soup-1",
            title="Vegetarian lentil soup",
            kind="recipe",
            total_time_min=40,
            diet=["vegetarian"],
        ),
        Video(id="vid-1", title="How to set up an office chair", duration_s=420),
    ]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TESSERA_HOME whose index is built by `tessera index --source` from a JSONL file."""
    root = tmp_path_factory.mktemp("chat-home")
    source = root / "catalog.jsonl"
    source.write_text("".join(item.model_dump_json() + "\n" for item in rows()))
    done = subprocess.run(
        [str(TESSERA), "index", "--source", str(source)],
        env=env_for(root),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return env | {"TESSERA_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "120"}


def spawn(home: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        str(TESSERA),
        ["chat", "--planner", "rule", *args],
        env=env_for(home),
        encoding="utf-8",
        timeout=TIMEOUT_S,
        dimensions=(40, 120),
    )


def turn(child: pexpect.spawn, line: str) -> str:
    """Send a line and return what the REPL printed before the next prompt, as plain text."""
    child.sendline(line)
    child.expect_exact(PROMPT)
    return _ANSI.sub("", child.before or "")


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus


def test_two_turns_exit_then_resume_with_history(home: Path) -> None:
    child = spawn(home, "--trace")
    child.expect_exact(PROMPT)
    first = turn(child, "office chairs under $200")
    found = re.search(r"new thread ([0-9a-f]{16})", first)
    assert found, first
    thread = found.group(1)
    assert "Shop office chairs" in first and "Leather office chair" not in first
    second = turn(child, "cheaper")
    assert "follow-up: cheaper" in second and "Executive office chair" not in second
    child.sendline("/exit")
    assert finish(child) == 0

    child = spawn(home, "--thread", thread)
    banner = (child.expect_exact(PROMPT), _ANSI.sub("", child.before or ""))[1]
    assert f"resumed thread {thread} (2 turns" in banner
    history = turn(child, "/history")
    assert f"thread {thread} · 2 turns" in history
    assert "1. office chairs under $200" in history and "2. cheaper" in history
    assert history.count("→ Shop office chairs") == 2
    child.sendeof()
    assert finish(child) == 0


def test_unknown_thread_is_a_clear_error(home: Path) -> None:
    child = spawn(home, "--thread", "nope")
    child.expect(pexpect.EOF)
    out = _ANSI.sub("", child.before or "")
    child.close()
    assert child.exitstatus == 2
    assert "no thread 'nope'" in out and "tessera chat" in out and "Traceback" not in out
