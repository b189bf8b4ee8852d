"""Rule taggers: find filters in one clause, grounded in the catalog's facet vocabulary.

Each tagger returns the filter values it found and the character spans it
used, so the caller can strip those phrases from the search text. A value the
catalog does not have is never returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from agent.understand.lexicon import FOOD_WORDS
from tools.catalog import Vertical
from tools.facets import FacetVocabulary

_NUM = r"(\d+(?:[.,]\d+)?)\s*(k)?"
_MONEY = rf"(?:\$|usd\s*|€|£)?\s*{_NUM}\s*(?:\$|usd|dollars?|bucks|€|£|eur|euros?)?"
_PRICE_RANGE = re.compile(
    rf"\b(?:between|from)?\s*\$\s*{_NUM}\s*(?:-|–|to|and)\s*\$?\s*{_NUM}\b", re.I
)
_PRICE_MAX = re.compile(
    rf"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|within)\s+{_MONEY}",
    re.I,
)
_PRICE_MIN = re.compile(rf"\b(?:over|above|more than|at least|min(?:imum)?)\s+{_MONEY}", re.I)
_MONEY_MARK = re.compile(r"\$|usd|dollars?|bucks|€|£|euros?", re.I)
_MINUTES = re.compile(
    r"\b(?:under|below|less than|shorter than|at most|within|in under|in less than|max)\s+"
    r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|m|hours?|hrs?|h)\b",
    re.I,
)
_MINUTES_MIN = re.compile(
    r"\b(?:over|longer than|more than|at least)\s+(\d+(?:\.\d+)?)\s*(minutes?|mins?|hours?|hrs?)\b",
    re.I,
)
_DECADE = re.compile(r"\b(?:from\s+the\s+|in\s+the\s+|the\s+)?((?:19|20)\d0|'?\d0)s\b", re.I)
_YEAR_AFTER = re.compile(r"\b(?:after|since|newer than)\s+((?:19|20)\d\d)\b", re.I)
_YEAR_BEFORE = re.compile(r"\b(?:before|older than|pre)\s+((?:19|20)\d\d)\b", re.I)
_YEAR_IN = re.compile(r"\b(?:from|in|of)\s+((?:19|20)\d\d)\b", re.I)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*", re.I)


class TagValues(BaseModel):
    """Filter values found in one clause, field for field as in `Filters`; None means unread."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    price_min: float | None = None
    price_max: float | None = None
    colors: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    category: str | None = None
    duration_min_s: int | None = None
    duration_max_s: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    total_time_max_min: int | None = None
    diet: list[str] = Field(default_factory=list)

    def found(self, *names: str) -> bool:
        """True when any of the named fields was read."""
        return any(getattr(self, name) not in (None, []) for name in names)


@dataclass
class Tags:
    """Filter values found in a clause (`TagValues`), the spans they used and vertical cues."""

    values: TagValues = field(default_factory=TagValues)
    spans: list[tuple[int, int]] = field(default_factory=list)
    cues: dict[Vertical, list[str]] = field(default_factory=dict)

    def cue(self, vertical: Vertical, word: str) -> None:
        self.cues.setdefault(vertical, []).append(word)


def _amount(number: str, k: str | None) -> float:
    value = float(number.replace(",", "."))
    return value * 1000 if k else value


def tag_price(text: str, tags: Tags) -> None:
    """Price ranges and limits: 'under $200', '$20-$50', 'over 100 dollars'."""
    if m := _PRICE_RANGE.search(text):
        low, high = _amount(m.group(1), m.group(2)), _amount(m.group(3), m.group(4))
        tags.values.price_min, tags.values.price_max = min(low, high), max(low, high)
        tags.spans.append(m.span())
        tags.cue("shopping", "price")
        return
    for pattern, key in ((_PRICE_MAX, "price_max"), (_PRICE_MIN, "price_min")):
        for m in pattern.finditer(text):
            tail = text[m.end() : m.end() + 12].lower()
            if re.match(r"\s*(minutes?|mins?|hours?|hrs?|h\b|m\b|years?|pages?|people)", tail):
                continue
            if not _MONEY_MARK.search(m.group(0)) and "price" not in text.lower():
                continue
            setattr(tags.values, key, _amount(m.group(1), m.group(2)))
            tags.spans.append(m.span())
            tags.cue("shopping", "price")
            break


_RECIPE_TIME = re.compile(
    r"\b(?:ready in|takes?|done in|in)\s+(?:about\s+)?(\d+)\s*(minutes?|mins?|hours?|hrs?)\b"
    r"|\b(\d+)[- ]?(?:minute|min)\s+(?:meals?|recipes?|dinners?|lunch(?:es)?|dishes?|ideas?)\b"
    r"|\b(?:in\s+)?under an hour\b",
    re.I,
)


def tag_recipe_time(text: str, tags: Tags, vertical: Vertical | None) -> None:
    """'ready in 30 minutes', '30-minute meals', 'under an hour' for ideas."""
    if tags.values.found("total_time_max_min") or vertical not in (None, "ideas"):
        return
    m = _RECIPE_TIME.search(text)
    if m is None:
        return
    if m.group(1):
        minutes = int(m.group(1)) * (60 if m.group(2).lower().startswith("h") else 1)
    elif m.group(3):
        minutes = int(m.group(3))
    else:
        minutes = 60
    if vertical is None and not m.group(3) and not re.search(r"ready|done|takes", m.group(0)):
        return
    tags.values.total_time_max_min = minutes
    tags.cue("ideas", "ready in")
    tags.spans.append(m.span())


def tag_time(text: str, tags: Tags, vertical: Vertical | None) -> None:
    """'under 100 minutes' is a video length, 'ready in under 30 minutes' a recipe time."""
    for pattern, bound in ((_MINUTES, "max"), (_MINUTES_MIN, "min")):
        m = pattern.search(text)
        if not m:
            continue
        minutes = float(m.group(1)) * (60 if m.group(2).lower().startswith("h") else 1)
        before = text[: m.start()].lower()
        is_recipe = vertical == "ideas" or re.search(r"\b(ready|cook|make|prep)\w*\s*$", before)
        if is_recipe and bound == "max":
            tags.values.total_time_max_min = int(minutes)
            tags.cue("ideas", "ready in")
        elif not is_recipe:
            setattr(tags.values, f"duration_{bound}_s", int(minutes * 60))
        else:
            continue
        tags.spans.append(m.span())


_QUICK = re.compile(r"\b(quick|fast|speedy|in a hurry|weeknight)\b", re.I)


def tag_quick(text: str, tags: Tags, vertical: Vertical | None) -> None:
    """'quick pasta recipes' means ready in 30 minutes, unless a time was given."""
    if vertical == "ideas" and not tags.values.found("total_time_max_min"):
        if m := _QUICK.search(text):
            tags.values.total_time_max_min = 30
            tags.spans.append(m.span())


def tag_years(text: str, tags: Tags) -> None:
    """Decades ('the 1990s', "90s") and years ('after 2010', 'from 1995')."""
    if m := _DECADE.search(text):
        raw = m.group(1).lstrip("'")
        start = (
            int(raw) if len(raw) == 4 else (1900 + int(raw) if int(raw) >= 30 else 2000 + int(raw))
        )
        tags.values.year_min, tags.values.year_max = start, start + 9
        tags.spans.append(m.span())
        return
    if m := _YEAR_AFTER.search(text):
        tags.values.year_min = int(m.group(1))
        tags.spans.append(m.span())
    if m := _YEAR_BEFORE.search(text):
        tags.values.year_max = int(m.group(1))
        tags.spans.append(m.span())
    if not tags.values.found("year_min") and not tags.values.found("year_max"):
        if m := _YEAR_IN.search(text):
            tags.values.year_min = tags.values.year_max = int(m.group(1))
            tags.spans.append(m.span())


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


COLOR_SYNONYMS = {"grey": "gray", "space grey": "space gray", "golden": "gold"}
_FRUIT_COLORS = frozenset({"orange", "lime", "lemon", "olive", "chocolate", "wine"})


def _color_at(words: list[tuple[str, int, int]], i: int, vocab: FacetVocabulary) -> tuple[str, int]:
    """The catalog colour starting at word `i` ('rose gold', 'grey') and its length, or ''."""
    for n in (2, 1):
        if i + n <= len(words):
            phrase = " ".join(w for w, _, _ in words[i : i + n])
            phrase = COLOR_SYNONYMS.get(phrase, phrase)
            if phrase in vocab.colors:
                return phrase, n
    return "", 0


def tag_facets(text: str, tags: Tags, vocab: FacetVocabulary, vertical: Vertical | None) -> None:
    """Colours, brands, categories, genres and diets that the catalog actually has."""
    words = _words(text)
    colors: list[str] = []
    skip_until = -1
    for i, (word, start, _end) in enumerate(words):
        if i < skip_until:
            continue
        color, n = _color_at(words, i, vocab) if vertical in (None, "shopping") else ("", 0)
        if color:
            nxt = words[i + n][0] if i + n < len(words) else ""
            food = nxt in FOOD_WORDS or (
                color in _FRUIT_COLORS and vertical is None and nxt in ("", "and")
            )
            if not food:
                colors.append(color)
                tags.spans.append((start, words[i + n - 1][2]))
                skip_until = i + n
                continue
        if word in vocab.diets and vertical in (None, "ideas"):
            tags.values.diet.append(word)
            tags.cue("ideas", word)
            tags.spans.append((start, _end))
    if colors:
        tags.values.colors = list(dict.fromkeys(colors))
        tags.cue("shopping", colors[0])
    _tag_ngram_facets(words, tags, vocab, vertical)


def _tag_ngram_facets(
    words: list[tuple[str, int, int]], tags: Tags, vocab: FacetVocabulary, vertical: Vertical | None
) -> None:
    genres = {_singular(g): g for g in vocab.genres}
    categories = {_singular(c) for c in vocab.categories}
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            gram = " ".join(w for w, _, _ in words[i : i + n])
            span = (words[i][1], words[i + n - 1][2])
            if any(s <= span[0] < e for s, e in tags.spans):
                continue
            if n == 1 and (_singular(gram) in genres) and vertical in (None, "video"):
                nxt = words[i + 1][0] if i + 1 < len(words) else ""
                if (
                    vertical == "video"
                    or nxt in ("movie", "movies", "film", "films")
                    or gram.endswith(("ies", "s"))
                    and gram not in ("series",)
                ):
                    tags.values.category = tags.values.category or genres[_singular(gram)]
                    tags.cue("video", gram)
                    tags.spans.append(span)
                    continue
            nxt = words[i + n][0] if i + n < len(words) else ""
            if gram in vocab.brands and vertical in (None, "shopping"):
                if (n == 1 and len(gram) < 3) or nxt in FOOD_WORDS:
                    continue
                tags.values.brands.append(gram)
                tags.cue("shopping", gram)
                tags.spans.append(span)
            elif vertical is None and _singular(gram) in categories and nxt not in FOOD_WORDS:
                tags.cue("shopping", gram)
