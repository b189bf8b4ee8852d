"""Read a user's own catalog file (JSONL or CSV) into catalog items.

Each row names its `vertical` (ideas, shopping or video) and carries the fields
of that vertical's schema in `tools.catalog`. A bad row never stops the batch:
it is reported as a `SkippedRow` with its 1-based line number and a short
reason, and the rest is read. Files are read line by line, not loaded whole.

CSV specifics: the first line is the header; list fields (tags, colors,
category_path, ingredients, steps, diet, genre) are "|"-separated; an empty
cell means "no value", so the field takes its schema default (None or empty).
A quoted cell may span lines; a quote that is never closed is reported on the
line that opened it, and the rows after it are read as rows of their own, so
the rows of a file always add up to the items kept plus the rows skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tools.catalog import ITEM_TYPES, VERTICALS, CatalogItem
from tools.errors import UserError
from tools.sources.locate import short_validation_error

FORMATS = (".jsonl", ".csv")
LIST_SEPARATOR = "|"
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")


class CatalogReadError(UserError, ValueError):
    """The catalog file as a whole cannot be read (missing, unsupported format)."""


class SkippedRow(BaseModel):
    """A row left out of the catalog, and why."""

    line: int = Field(ge=1, description="1-based line where the row starts.")
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class IngestResult(BaseModel):
    """The items read from a file (in file order) and the rows left out."""

    items: list[CatalogItem] = Field(default_factory=list)
    skipped: list[SkippedRow] = Field(default_factory=list)
    rows_read: int = Field(default=0, description="Non-blank data rows seen.")


def _list_fields() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for vertical, model in ITEM_TYPES.items():
        fields[vertical] = {
            name
            for name, info in model.model_fields.items()
            if typing.get_origin(info.annotation) is list
        }
    return fields


_LIST_FIELDS = _list_fields()


def validate_row(row: Any) -> CatalogItem:
    """One decoded row as a catalog item; raises ValueError with a short reason."""
    if not isinstance(row, dict):
        raise ValueError("row is not a JSON object")
    vertical = row.get("vertical")
    if vertical is None or vertical == "":
        raise ValueError(f"vertical: missing (expected one of {', '.join(VERTICALS)})")
    if not isinstance(vertical, str) or vertical not in ITEM_TYPES:
        raise ValueError(f"vertical: unknown value {vertical!r} (expected {', '.join(VERTICALS)})")
    try:
        return ITEM_TYPES[vertical].model_validate(row)
    except ValidationError as exc:
        raise ValueError(short_validation_error(exc)) from exc


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            if _UNDECODABLE.search(text):
                yield number, ValueError("not valid UTF-8")
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})")


def _csv_cells(header: list[str], cells: list[str]) -> dict[str, Any]:
    if len(cells) > len(header):
        raise ValueError(f"row has {len(cells) - len(header)} more cells than the header")
    record = dict(zip(header, cells, strict=False))
    lists = _LIST_FIELDS.get(record.get("vertical", "").strip(), set())
    row: dict[str, Any] = {}
    for key, value in record.items():
        if not key or not value.strip():
            continue
        if _UNDECODABLE.search(value):
            raise ValueError(f"{key}: not valid UTF-8")
        if key in lists:
            row[key] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            row[key] = value.strip()
    return row


MAX_RECORD_LINES = 200
"""A quoted cell may span lines, but a record longer than this is an unclosed quote."""


class _Lines:
    """Physical lines of a file, numbered from 1, with lines put back for re-reading."""

    def __init__(self, handle: typing.TextIO) -> None:
        self._handle = handle
        self._number = 0
        self._back: list[tuple[int, str]] = []

    def next(self) -> tuple[int, str] | None:
        if self._back:
            return self._back.pop()
        text = self._handle.readline()
        if not text:
            return None
        self._number += 1
        return self._number, text

    def put_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(lines))


def _parse_record(text: str) -> list[str] | None:
    """The cells of one CSV record, or None when `text` ends inside a quoted cell."""
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return None
        rows = list(csv.reader(io.StringIO(text)))
    return rows[0] if rows else []


def _starts_record(text: str, header: list[str]) -> bool:
    """Whether a line read alone is a whole record of its own (a neighbour, not a tail)."""
    cells = _parse_record(text)
    if cells is None or len(cells) != len(header):
        return False
    if "vertical" in header:
        return cells[header.index("vertical")].strip() in ITEM_TYPES
    return True


def _csv_records(
    lines: _Lines, header: list[str] | None
) -> tuple[int, list[str] | ValueError] | None:
    """The next record and its first line; an unclosed quote is an error on that line alone."""
    first = lines.next()
    if first is None:
        return None
    number, text = first
    taken: list[tuple[int, str]] = []
    while True:
        cells = _parse_record(text)
        if cells is not None:
            return number, cells
        more = lines.next()
        if more is None:
            runs_into = " before the end of the file"
        elif header is not None and _starts_record(more[1], header):
            runs_into = f"; it would run into line {more[0]}"
        elif len(taken) >= MAX_RECORD_LINES:
            runs_into = f" within {MAX_RECORD_LINES} lines"
        else:
            runs_into = ""
        if runs_into:
            lines.put_back(taken + ([more] if more is not None else []))
            return number, ValueError(
                f"malformed CSV: a quote opened on this line is never closed{runs_into}; "
                'close it, or write a quote inside a cell as ""'
            )
        assert more is not None
        taken.append(more)
        text += more[1]


def _csv_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        lines = _Lines(handle)
        header: list[str] | None = None
        while (record := _csv_records(lines, header)) is not None:
            line, cells = record
            if isinstance(cells, ValueError):
                yield line, cells
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [name.strip() for name in cells]
                continue
            try:
                yield line, _csv_cells(header, cells)
            except ValueError as exc:
                yield line, exc


def read_catalog(path: Path) -> IngestResult:
    """Read a .jsonl or .csv catalog; bad rows are skipped and reported, never fatal.

    Ids are unique per vertical: when one repeats, the last row wins and the
    earlier one is reported as skipped. Raises `CatalogReadError` only when the
    file itself is missing or its extension is neither .jsonl nor .csv.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise CatalogReadError(
            f"{path.name}: unsupported catalog format {suffix or '(no extension)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    if not path.is_file():
        raise CatalogReadError(f"{path}: no such file")
    rows = _jsonl_rows(path) if suffix == ".jsonl" else _csv_rows(path)
    kept: dict[tuple[str, str], tuple[int, CatalogItem]] = {}
    result = IngestResult()
    for line, row in rows:
        result.rows_read += 1
        try:
            if isinstance(row, ValueError):
                raise row
            item = validate_row(row)
        except ValueError as exc:
            result.skipped.append(SkippedRow(line=line, reason=str(exc)))
            continue
        key = (item.vertical, item.id)
        if key in kept:
            earlier, _ = kept.pop(key)
            reason = f"duplicate id {item.id!r} in {item.vertical}: replaced by line {line}"
            result.skipped.append(SkippedRow(line=earlier, reason=reason))
        kept[key] = (line, item)
    result.items = [item for _, item in sorted(kept.values(), key=lambda pair: pair[0])]
    result.skipped.sort(key=lambda skipped: skipped.line)
    return result
