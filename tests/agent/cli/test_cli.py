"""`tessera index` and `tessera search`: bad input gets a message and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main


@pytest.fixture
def home(tiny_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TESSERA_HOME", str(tiny_home))
    monkeypatch.setenv("TESSERA_PLANNER", "rule")
    monkeypatch.setenv("COLUMNS", "120")
    return tiny_home


def test_search_prints_json_pages(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "office chair under $150", "--json", "--k", "3"]) == 0
    page = json.loads(capsys.readouterr().out)
    [module] = page["modules"]
    assert module["vertical"] == "shopping" and len(module["items"]) <= 3
    assert all(item["price"] <= 150 for item in module["items"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "   "], "the query is empty"),
        (["search", "lamp", "--k", "0"], "--k must be between 1 and 50"),
        (["search", "lamp", "--filters", "{not json"], "--filters is not valid JSON"),
        (["search", "lamp", "--filters", '{"colour": "red"}'], "colour: Extra inputs"),
        (["search", "lamp", "--filters", '{"price_max": "x"}'], "price_max: Input should be"),
        (["search", "lamp", "--image", "/no/such.jpg"], "no image at"),
        (["index", "--source", "/no/such.jsonl"], "no such file"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err


def test_missing_index_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path))
    assert main(["search", "soup", "--planner", "rule"]) == 2
    assert "tessera index --starter" in " ".join(capsys.readouterr().err.split())


def test_indexing_for_the_learned_ranker_embeds_shopping_titles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.settings import Settings
    from tests.fakes import TINY
    from tools.title_vectors import FILE_NAME, TitleVectors

    source = tmp_path / "catalog.jsonl"
    source.write_text("".join(i.model_dump_json() + "\n" for i in TINY), encoding="utf-8")
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path / "fusion"))
    assert main(["index", "--source", str(source)]) == 0
    assert not (Settings().index_dir / FILE_NAME).exists(), "fusion ranking needs no e5 vectors"
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path / "ltr"))
    monkeypatch.setenv("TESSERA_RANKER", "ltr")
    assert main(["index", "--source", str(source)]) == 0
    store = TitleVectors(Settings().index_dir / FILE_NAME, "multilingual-e5-small-q4", 384)
    try:
        assert store.count("shopping") == sum(i.vertical == "shopping" for i in TINY)
        assert store.count("video") == 0 and store.count("ideas") == 0
    finally:
        store.close()
