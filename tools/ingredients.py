"""Ingredient lists in every shape a recipe source gives them, read as named sections.

A recipe's ingredients often come in blocks ("Seasoning pouch", "Soup",
"Serving"). Sources hand them over as wikitext with `=== Heading ===` lines and
`*` bullets, as a mapping of section name to lines, as a list of
`{"section": ..., "items": [...]}` objects, or as one flat list whose header
lines end in a colon. `ingredient_sections` reads all of them into
`IngredientSection`s, keeping every block, and `ingredient_lines` flattens them
for the catalog's `ingredients` field. `group_references` finds the named
ingredient groups that a recipe's steps talk about ("the soup ingredients"),
which tells when a list is missing blocks.

    >>> text = "=== Soup ===\\n* 1 chicken\\n=== Serving ===\\n* lime"
    >>> [s.name for s in ingredient_sections(text)]
    ['Soup', 'Serving']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

_HEADING = re.compile(r"^\s*(=+)\s*(?P<name>[^=]+?)\s*\1\s*$")
_BULLET = re.compile(r"^\s*[*#:]+\s*(?P<text>.+)$")
_HEADER_LINE = re.compile(r"^\s*(?:for\s+the\s+)?(?P<name>[^\d:][^:]{0,40}):\s*$", re.IGNORECASE)
_FOR_THE = re.compile(r"^\s*for\s+the\s+(?P<name>[\w -]{2,40}?)\s*:?\s*$", re.IGNORECASE)
_GROUPS = (
    re.compile(r"\b(?P<word>[a-z]+)\s+ingredients\b"),
    re.compile(r"\bingredients\s+(?:for|of)\s+(?:the\s+)?(?P<word>[a-z]+)"),
)
_NOT_GROUPS = frozenset(
    "all the remaining dry wet other liquid mix preparing combine optional until additional above"
    " of these and adding sifted both mixed toasted four dried put your extra shake leftover"
    " whisk stir three solid together more strain blended two five main listed following"
    " those fresh cold warm hot chopped measured prepared reserved cooked raw".split()
)
_SECTION_KEYS = ("section", "name", "title", "heading", "group")
_ITEM_KEYS = ("items", "ingredients", "lines", "list")


class IngredientSection(BaseModel):
    """One block of a recipe's ingredients; `name` is None for an unnamed block."""

    name: str | None = None
    lines: list[str] = Field(default_factory=list)


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _from_wikitext(text: str) -> list[IngredientSection]:
    sections = [IngredientSection()]
    for raw in text.splitlines():
        if heading := _HEADING.match(raw):
            sections.append(IngredientSection(name=_text(heading["name"])))
        elif bullet := _BULLET.match(raw):
            sections[-1].lines.append(_text(bullet["text"]))
        elif raw.strip():
            _add_line(sections, raw)
    return [s for s in sections if s.lines]


def _add_line(sections: list[IngredientSection], raw: str) -> None:
    line = _text(raw)
    header = _FOR_THE.match(line) or _HEADER_LINE.match(line)
    if header:
        sections.append(IngredientSection(name=_text(header["name"])))
    elif line:
        sections[-1].lines.append(line)


def _from_list(values: Iterable[Any]) -> list[IngredientSection]:
    sections = [IngredientSection()]
    for value in values:
        if isinstance(value, Mapping):
            sections.extend(_from_mapping_entry(value))
        elif isinstance(value, list | tuple):
            sections.append(IngredientSection(lines=[_text(v) for v in value if _text(v)]))
        elif isinstance(value, str) and "\n" in value:
            sections.extend(_from_wikitext(value))
        elif value is not None:
            _add_line(sections, str(value))
    return [s for s in sections if s.lines]


def _from_mapping_entry(entry: Mapping[str, Any]) -> list[IngredientSection]:
    name = next((_text(entry[k]) for k in _SECTION_KEYS if entry.get(k)), None)
    items = next((entry[k] for k in _ITEM_KEYS if k in entry), None)
    if items is None:
        return [IngredientSection(name=str(k), lines=_flat(v)) for k, v in entry.items()]
    return [IngredientSection(name=name or None, lines=_flat(items))]


def _flat(value: Any) -> list[str]:
    return [line for s in ingredient_sections(value) for line in s.lines]


def ingredient_sections(raw: Any) -> list[IngredientSection]:
    """Every ingredient block of `raw` (wikitext, mapping, list of blocks or flat list), in order.

    Header lines ("Soup:", "For the filling", "=== Serving ===") start a new
    named block and are not ingredients themselves; empty blocks are dropped.
    """
    if raw is None:
        return []
    if isinstance(raw, str):
        return _from_wikitext(raw)
    if isinstance(raw, Mapping):
        if any(k in raw for k in _ITEM_KEYS):
            return _from_mapping_entry(raw)
        return [IngredientSection(name=_text(k), lines=_flat(v)) for k, v in raw.items()]
    if isinstance(raw, Iterable):
        return _from_list(raw)
    return []


def ingredient_lines(raw: Any) -> list[str]:
    """All ingredient lines of every block, in order, without the block headers."""
    return [line for section in ingredient_sections(raw) for line in section.lines]


def group_references(steps: Iterable[str]) -> set[str]:
    """Named ingredient groups the steps refer to: "the soup ingredients" -> {"soup"}.

    Generic words ("the dry ingredients", "all ingredients") are not groups.
    """
    groups: set[str] = set()
    for step in steps:
        for match in (m for p in _GROUPS for m in p.finditer(step.lower())):
            word = match["word"]
            if word not in _NOT_GROUPS:
                groups.add(word.rstrip("s") if len(word) > 4 else word)
    return groups


def missing_groups(sections: list[IngredientSection], steps: Iterable[str]) -> set[str]:
    """Groups named in the steps that no ingredient block is named after."""
    named = " ".join((s.name or "").lower() for s in sections)
    return {g for g in group_references(steps) if g not in named}
