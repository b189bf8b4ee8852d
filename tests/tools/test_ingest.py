"""Ingestion of a user's own catalog: JSONL and CSV, good rows and every kind of bad one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.catalog import Idea, Product, Video
from tools.ingest import CatalogReadError, SkippedRow, read_catalog


def _skipped(rows: list[SkippedRow]) -> list[tuple[int, str]]:
    return [(row.line, row.reason) for row in rows]


def _jsonl(path: Path, lines: list[str | dict[str, object]], bom: bool = False) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (text + "\n").encode())
    return path


def test_jsonl_good_rows_of_every_vertical(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "catalog.jsonl",
        [
            {"vertical": "shopping", "id": "p1", "title": "Red mug", "price": 12.5,
             "colors": ["Red"], "category_path": ["Home", "Kitchen"]},
            {"vertical": "ideas", "id": "i1", "title": "Lentil soup", "kind": "recipe",
             "total_time_min": 40, "diet": ["vegan"]},
            {"vertical": "video", "id": "v1", "title": "A talk", "duration_s": 600,
             "published": "2020-05-01"},
        ],
        bom=True,
    )  # fmt: skip
    result = read_catalog(path)
    assert result.skipped == []
    assert result.rows_read == 3
    mug, soup, talk = result.items
    assert isinstance(mug, Product) and mug.colors == ["red"] and mug.price == 12.5
    assert isinstance(soup, Idea) and soup.total_time_min == 40
    assert isinstance(talk, Video) and talk.published is not None and talk.published.year == 2020


def test_jsonl_bad_rows_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "catalog.jsonl",
        [
            {"vertical": "shopping", "id": "p1", "title": "Mug", "price": 3},
            "",
            "{not json",
            {"id": "x", "title": "No vertical"},
            {"vertical": "music", "id": "x", "title": "Song"},
            "   ",
            {"vertical": "shopping", "id": "p2", "title": "Cheap", "price": -1},
            "[1, 2]",
            {"vertical": "video", "id": "v1", "title": "Clip", "colour": "red"},
            {"vertical": "ideas", "id": "i1", "title": ""},
            {"vertical": "ideas", "id": "i2", "title": "Kept"},
        ],
    )
    result = read_catalog(path)
    assert [item.id for item in result.items] == ["p1", "i2"]
    assert _skipped(result.skipped) == [
        (3, "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        (4, "vertical: missing (expected one of ideas, shopping, video)"),
        (5, "vertical: unknown value 'music' (expected ideas, shopping, video)"),
        (7, "price: Input should be greater than or equal to 0"),
        (8, "row is not a JSON object"),
        (9, "colour: Extra inputs are not permitted"),
        (10, "title: String should have at least 1 character"),
    ]
    assert str(result.skipped[3]) == "line 7: price: Input should be greater than or equal to 0"
    assert result.rows_read == 9


def test_jsonl_vertical_of_the_wrong_type(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "catalog.jsonl", [{"vertical": ["video"], "id": "v", "title": "T"}])
    assert _skipped(read_catalog(path).skipped) == [
        (1, "vertical: unknown value ['video'] (expected ideas, shopping, video)")
    ]


def test_jsonl_duplicate_ids_keep_the_last(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "catalog.jsonl",
        [
            {"vertical": "shopping", "id": "p1", "title": "Old"},
            {"vertical": "video", "id": "p1", "title": "Same id, other vertical"},
            {"vertical": "shopping", "id": "p2", "title": "Other"},
            {"vertical": "shopping", "id": "p1", "title": "New"},
        ],
    )
    result = read_catalog(path)
    assert [(i.vertical, i.id, i.title) for i in result.items] == [
        ("video", "p1", "Same id, other vertical"),
        ("shopping", "p2", "Other"),
        ("shopping", "p1", "New"),
    ]
    assert _skipped(result.skipped) == [(1, "duplicate id 'p1' in shopping: replaced by line 4")]


def test_jsonl_invalid_utf8_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    good = json.dumps({"vertical": "video", "id": "v1", "title": "Fine"}).encode()
    path.write_bytes(b'{"vertical": "video", "id": "v0", "title": "\xff"}\r\n' + good + b"\r\n")
    result = read_catalog(path)
    assert [i.id for i in result.items] == ["v1"]
    assert _skipped(result.skipped) == [(1, "not valid UTF-8")]


CSV_HEADER = "vertical,id,title,price,colors,category_path,tags,total_time_min,description\n"


def test_csv_lists_empty_cells_bom_and_multiline(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    body = (
        CSV_HEADER
        + "shopping,p1,Blue mug,9.99,Blue| navy ,Home|Kitchen,,,\n"
        + "\n"
        + 'ideas,i1,Soup,,,,quick|soup,25,"Two\nlines"\n'
        + "shopping,p2,Free sample,,,,,,\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    result = read_catalog(path)
    assert result.skipped == []
    mug, soup, sample = result.items
    assert isinstance(mug, Product)
    assert (mug.price, mug.colors, mug.category_path) == (
        9.99,
        ["blue", "navy"],
        ["Home", "Kitchen"],
    )
    assert isinstance(soup, Idea)
    assert (soup.tags, soup.total_time_min, soup.description) == (
        ["quick", "soup"],
        25,
        "Two\nlines",
    )
    assert isinstance(sample, Product) and sample.price is None and sample.colors == []


def test_csv_bad_rows_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        CSV_HEADER
        + "shopping,p1,Mug,abc,,,,,\n"
        + ",x1,No vertical,,,,,,\n"
        + "books,b1,Novel,,,,,,\n"
        + 'ideas,i1,"Multi\nline title",,,,,,\n'
        + "shopping,p2,Too many,1,,,,,,extra\n"
        + "video,v1,Clip,5,,,,,\n"
        + "ideas,i2,Stew,,,,,-5,\n"
        + "shopping,p3,Kept,2,,,,,\n",
        encoding="utf-8",
    )
    result = read_catalog(path)
    assert [item.id for item in result.items] == ["i1", "p3"]
    assert _skipped(result.skipped) == [
        (2, "price: Input should be a valid number, unable to parse string as a number"),
        (3, "vertical: missing (expected one of ideas, shopping, video)"),
        (4, "vertical: unknown value 'books' (expected ideas, shopping, video)"),
        (7, "row has 1 more cells than the header"),
        (8, "price: Extra inputs are not permitted"),
        (9, "total_time_min: Input should be greater than or equal to 0"),
    ]


def test_csv_duplicate_ids_keep_the_last(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("vertical,id,title\nvideo,v1,First\nvideo,v1,Second\n", encoding="utf-8")
    result = read_catalog(path)
    assert [i.title for i in result.items] == ["Second"]
    assert _skipped(result.skipped) == [(2, "duplicate id 'v1' in video: replaced by line 3")]


def test_empty_files_give_empty_results(tmp_path: Path) -> None:
    for name in ("empty.csv", "empty.jsonl"):
        (tmp_path / name).write_text("\n\n", encoding="utf-8")
        result = read_catalog(tmp_path / name)
        assert result.items == [] and result.skipped == [] and result.rows_read == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("catalog.xlsx", r"unsupported catalog format '\.xlsx'; use one of \.jsonl, \.csv"),
        ("catalog", r"unsupported catalog format '\(no extension\)'"),
        ("missing.jsonl", "no such file"),
    ],
)
def test_unreadable_files_raise_a_clear_error(tmp_path: Path, name: str, message: str) -> None:
    if name != "missing.jsonl":
        (tmp_path / name).write_text("x", encoding="utf-8")
    with pytest.raises(CatalogReadError, match=message):
        read_catalog(tmp_path / name)
