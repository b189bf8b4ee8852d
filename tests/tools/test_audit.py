"""The catalog audit: each check's findings and evidence lines, and `tessera index --audit`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.main import main
from tools.audit import audit_catalog
from tools.catalog import CatalogItem, Idea, Product, Video


def _recipe(item_id: str, title: str, diet: list[str], **fields: list[str]) -> Idea:
    return Idea(id=item_id, title=title, kind="recipe", diet=diet, **fields)


def test_diet_contradictions_carry_their_evidence() -> None:
    items: list[CatalogItem] = [
        _recipe(
            "ofe-aku",
            "Ofe Aku (Igbo palmnut soup)",
            ["vegetarian", "vegan"],
            ingredients=["2 cups palm nut cream"],
            steps=["Wash the beef and cook with onion until tender.", "Add the stockfish."],
        ),
        _recipe("flapjack", "Flapjacks", ["vegan"], ingredients=["oats", "100 g butter"]),
        _recipe("ok", "Lentil Soup", ["vegan"], ingredients=["lentils", "1 l vegetable stock"]),
        _recipe("plain", "Lentil Soup II", ["vegetarian"], ingredients=["lentils", "2 cups broth"]),
    ]
    report = audit_catalog(items)
    diet = {f.item_id: f for f in report.of("diet")}
    assert set(diet) == {"ofe-aku", "flapjack"}
    assert diet["ofe-aku"].fact == "diet: vegan, vegetarian"
    assert diet["ofe-aku"].evidence == [
        'step 1: "beef" in "Wash the beef and cook with onion until tender."',
        'step 2: "stockfish" in "Add the stockfish."',
    ]
    assert diet["flapjack"].evidence == ['ingredient 2: "butter" in "100 g butter"']
    [unclear] = report.of("diet-unclear")
    assert unclear.item_id == "plain" and unclear.evidence == [
        'ingredient 2: "broth" in "2 cups broth"'
    ]


def test_late_genres_in_long_lists() -> None:
    long = Video(
        id="v1", title="Cleopatra", genre=["Biography", "War", "Romance", "Drama", "History"]
    )
    short = Video(id="v2", title="Heat", genre=["Crime", "Drama", "Thriller", "Action"])
    [finding] = audit_catalog([long, short]).of("genre")
    assert finding.item_id == "v1" and finding.fact == "genre: History"
    assert finding.evidence == [
        '"History" is genre 5 of 5: Biography, War, Romance, Drama, History'
    ]


def test_a_brand_the_catalog_uses_as_a_product_word() -> None:
    names = ["Ultra Desk Lamp", "Ultra Floor Lamp", "Ultra Clip Lamp"]
    products: list[CatalogItem] = [
        Product(id=f"u{n}", title=t, brand="Ultra") for n, t in enumerate(names)
    ]
    others = ["SanDisk Ultra 64 GB Card", "Tripp Lite Ultra Surge", "Kld Ultra Thin Case"]
    products += [Product(id=f"o{n}", title=t, brand=t.split()[0]) for n, t in enumerate(others)]
    products += [Product(id=f"a{n}", title=f"Case for Acme Phone {n}") for n in range(3)]
    products += [Product(id=f"m{n}", title=f"Acme Phone {n}", brand="Acme") for n in range(3)]
    found = audit_catalog(products).of("brand")
    assert {f.item_id for f in found} == {"u0", "u1", "u2"}
    assert found[0].evidence == [
        '"Ultra" is a word inside 3 other product names (it leads 3), '
        "e.g. 'SanDisk Ultra 64 GB Card'"
    ]


def test_price_and_duration_outliers_name_their_category() -> None:
    path = ["Office Supplies", "Labels"]
    items: list[CatalogItem] = [
        Product(id=f"p{n}", title=f"Labels {n}", price=4 + n / 10, category_path=path)
        for n in range(10)
    ]
    items.append(Product(id="reel", title="Tape Reel Labels", price=98.31, category_path=path))
    items += [
        Idea(id=f"d{n}", title=f"Dressing {n}", category="Salad dressing", total_time_min=10 + n)
        for n in range(9)
    ]
    items.append(
        Idea(id="slow", title="Slow Dressing", category="Salad dressing", total_time_min=490)
    )
    report = audit_catalog(items)
    [price] = report.of("price")
    assert price.item_id == "reel" and price.fact == "price: 98.31"
    assert price.evidence[0].startswith(
        "price 98.31 is 21.8x the median 4.50 of 11 items in Office Supplies > Labels"
    )
    [duration] = report.of("duration")
    assert duration.item_id == "slow"
    assert "of 10 items in ideas/Salad dressing" in duration.evidence[0]


def test_summary_counts_every_kind() -> None:
    report = audit_catalog([_recipe("r", "Steak Rub", ["vegan"], ingredients=["salt"])])
    assert report.summary() == (
        "audit of 1 items: 1 diet contradictions, 0 unclear diet labels, "
        "0 late genres in noisy lists, 0 brands that are product words, "
        "0 price outliers, 0 duration outliers"
    )


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    rows = [
        {
            "vertical": "ideas",
            "id": "pho-ga",
            "title": "Phở Gà (Vietnamese Chicken Noodle Soup)",
            "ingredients": ["1 tsp fennel seed", "3 whole star anise"],
            "steps": ["Boil until the chicken is cooked."],
            "diet": ["vegetarian", "vegan"],
        },
        {"vertical": "ideas", "id": "salad", "title": "Green Salad", "ingredients": ["lettuce"]},
    ]
    path = tmp_path / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_index_audit_prints_the_evidence_and_indexes_nothing(
    catalog_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("TESSERA_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["index", "--source", str(catalog_file), "--audit"]) == 0
    out = capsys.readouterr().out
    assert "ideas/pho-ga 'Phở Gà (Vietnamese Chicken Noodle Soup)' (diet: vegan, vegetarian)" in out
    assert '    title: "chicken" in "Phở Gà (Vietnamese Chicken Noodle Soup)"' in out
    assert "audit of 2 items: 1 diet contradictions" in out
    assert not (home / "index").exists()


def test_index_prints_the_audit_summary_after_indexing(
    catalog_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TESSERA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["index", "--source", str(catalog_file)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "added 2" in out
    assert "audit of 2 items: 1 diet contradictions" in out and "(--audit for the evidence)" in out
