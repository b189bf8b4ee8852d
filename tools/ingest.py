"""Read a user's own catalog file (JSONL or CSV) into catalog items.

Each row names its `vertical` (ideas, shopping or video) and carries the fields
of that vertical's schema in `tools.catalog`. A bad row never stops the batch:
it is reported as a `SkippedRow` with its 1-based line number and a short
reason, and the rest is read. Files are read line by line, not loaded whole.

CSV specifics: the first line is the header; list fields (tags, colors,
category_path, ingredients, steps, diet, genre) are "|"-separated; an empty
cell means "no value", so the field takes its schema default (None or empty).
"""

from __future__ import annotations

import csv
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


def _csv_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        start = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, ValueError(f"malformed CSV: {exc}")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
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
