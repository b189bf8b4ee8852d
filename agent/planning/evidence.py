"""Evidence for grounding: what a request (and its conversation) states, filter by filter.

`ground_filters` keeps a drafted filter value only when the text states it
and the catalog's facet vocabulary has it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.understand.lexicon import FOOD_WORDS
from agent.understand.quantities import read_quantities
from tools.catalog import Vertical
from tools.facets import FacetVocabulary
from tools.filters import Filters, filters_for

WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_SPELLINGS = {"grey": "gray"}
_FOOD = FOOD_WORDS | {
    "bean", "cheese", "velvet", "cupcake", "cupcakes", "onion", "onions", "lentil", "lentils",
    "curry", "grape", "grapes", "currant", "currants", "cabbage", "chili", "pesto", "bread",
    "smoothies", "cocktail", "punch", "soda", "mousse", "crumble", "cobbler", "crisp", "iced",
}  # fmt: skip


def singular(word: str) -> str:
    """A crude English singular, enough to match 'chairs' with 'chair'."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


def respell(text: str) -> str:
    """One spelling per word where the catalog uses one ('grey' -> 'gray')."""
    return " ".join(_SPELLINGS.get(w, w) for w in text.lower().split())


@dataclass
class Evidence:
    """What a request text states, as the quantity reader reads it: amounts of money,
    lengths of time (minutes), years, and the words themselves."""

    text: str
    prices: set[tuple[float, str]] = field(default_factory=set)
    minutes: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    words: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, text: str) -> Evidence:
        lowered = text.lower()
        ev = cls(text=lowered, words=[respell(w) for w in WORD.findall(lowered)])
        for q in read_quantities(lowered):
            values = [v for v in (q.low, q.high) if v is not None]
            if q.kind in ("money", "number"):
                if q.bound == "range":
                    ev.prices |= {(values[0], "min"), (values[1], "max")}
                else:
                    bound = {"max": "max", "min": "min"}.get(q.bound, "any")
                    ev.prices |= {(v, bound) for v in values}
            if q.kind in ("duration", "number"):
                ev.minutes |= {round(v) for v in values}
            if q.kind == "year":
                ev.years |= {int(v) for v in values}
        return ev

    def has_price(self, value: float, bound: str) -> bool:
        """True when the text states `value` as a `bound` ('max' or 'min') or plainly."""
        return any(abs(value - p) < 0.01 and b in (bound, "any") for p, b in self.prices)

    def has_year(self, value: int) -> bool:
        return any(abs(value - y) <= 1 for y in self.years)

    def mentions(self, phrase: str, *, food_trap: bool = False) -> bool:
        """True when every word of `phrase` occurs (as a run, singular-insensitive)."""
        target = [singular(respell(w)) for w in WORD.findall(phrase.lower())]
        words = [singular(w) for w in self.words]
        n = len(target)
        for i in range(len(words) - n + 1):
            if n and words[i : i + n] == target:
                if food_trap and _FOOD.intersection(self.words[i + n : i + n + 2]):
                    continue
                return True
        return False


def _vocab_value(table: dict[str, int], value: str) -> str | None:
    """The catalog's own spelling of `value`, matched case- and plural-insensitively."""
    wanted = singular(value.strip().lower())
    for key in table:
        if singular(key.lower()) == wanted:
            return key
    return None


def ground_filters(
    values: Mapping[str, Any], vertical: Vertical, vocab: FacetVocabulary, ev: Evidence
) -> tuple[Filters, list[str]]:
    """Filters from draft values (`DraftFilters` field names) that the text and catalog support.

    Returns the kept filters that apply to `vertical` and a note per dropped value.
    """
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    values = _time_not_money(values, vertical, ev)

    def judge(name: str, value: Any, ok: bool, *, many: bool = False) -> None:
        if not ok:
            dropped.append(f"{name}={value}")
        elif many:
            kept.setdefault(name, [])
            if value not in kept[name]:
                kept[name].append(value)
        else:
            kept[name] = value

    for name in ("price_min", "price_max"):
        if (price := values.get(name)) is not None:
            ok = price >= 0 and ev.has_price(float(price), name.removeprefix("price_"))
            judge(name, float(price), ok)
    for color in (respell(c) for c in values.get("colors") or ()):
        ok = vocab.has("colors", color) and ev.mentions(color, food_trap=True)
        judge("colors", color, ok, many=True)
    for brand in values.get("brands") or ():
        spelled = _vocab_value(vocab.brands, brand)
        ok = spelled is not None and ev.mentions(brand, food_trap=True)
        judge("brands", spelled or brand, ok, many=True)
    if category := values.get("category"):
        table = {"shopping": vocab.categories, "video": vocab.genres}.get(vertical, {})
        spelled = _vocab_value(table, category)
        judge("category", spelled or category, spelled is not None and ev.mentions(category))
    for diet in values.get("diet") or ():
        spelled = _vocab_value(vocab.diets, diet)
        judge("diet", spelled or diet, spelled is not None and ev.mentions(diet), many=True)
    if (minutes := values.get("duration_max_min")) is not None:
        judge("duration_max_s", minutes * 60, minutes in ev.minutes)
    if (minutes := values.get("total_time_max_min")) is not None:
        judge("total_time_max_min", minutes, minutes in ev.minutes)
    for name in ("year_min", "year_max"):
        if (year := values.get(name)) is not None:
            judge(name, year, ev.has_year(year))
    try:
        filters = Filters.model_validate(kept)
    except ValueError:
        dropped.extend(f"{k}={v}" for k, v in kept.items())
        filters = Filters()
    applicable = filters_for(vertical, filters)
    for name in sorted(set(kept) - set(applicable.model_dump(exclude_defaults=True))):
        dropped.append(f"{name} (not a {vertical} filter)")
    return applicable, dropped


def _time_not_money(
    values: Mapping[str, Any], vertical: Vertical, ev: Evidence
) -> Mapping[str, Any]:
    """A small model often puts '30 minutes' in price_max: for recipes and videos, a price
    the text states only as a time becomes that time limit."""
    field_name = {"ideas": "total_time_max_min", "video": "duration_max_min"}.get(vertical)
    price = values.get("price_max")
    if field_name is None or price is None or values.get(field_name) is not None:
        return values
    if ev.has_price(float(price), "max"):
        return values
    for minutes in (round(price), round(price * 60)):
        if minutes in ev.minutes:
            return {**values, "price_max": None, field_name: minutes}
    return values


def supported(
    name: str, value: Any, vertical: Vertical, vocab: FacetVocabulary, ev: Evidence
) -> bool:
    """Whether one rule-found filter value is stated in `ev` (unknown kinds count as stated)."""
    if name == "duration_max_s":
        name, value = "duration_max_min", value // 60
    if name not in _CHECKED:
        return True
    return not ground_filters({name: value}, vertical, vocab, ev)[1]


_CHECKED = frozenset(
    {"price_min", "price_max", "colors", "brands", "category", "diet", "duration_max_min",
     "total_time_max_min", "year_min", "year_max"}
)  # fmt: skip
