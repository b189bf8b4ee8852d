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
from agent.understand.quantities import Quantity
from tools.catalog import Vertical
from tools.facets import FacetVocabulary

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


_RECIPE_LEAD = re.compile(
    r"\b(?:ready|cook|cooks|cooked|make|prep|takes?|taking|done|bake)\w*", re.I
)


def tag_quantities(
    quantities: list[Quantity], text: str, tags: Tags, vertical: Vertical | None
) -> None:
    """Money, lengths of time and years read by the quantity reader, as filter values.

    Money is a price; a duration is a recipe's total time in ideas (or when the clause
    says 'ready in', 'takes') and a video's length otherwise; a year bounds videos.
    A bare number with no vertical is a price when the clause speaks of price, else
    it bounds whatever each vertical measures (price, video length, recipe time).
    """
    values = tags.values
    for q in quantities:
        kind = q.kind
        if kind == "number" and re.search(r"\bpriced?\b|\bcosts?\b|\bbudget\b", text, re.I):
            kind = "money"
        if kind == "number":
            if q.high is not None:
                values.price_max, values.duration_max_s = q.high, int(q.high * 60)
                values.total_time_max_min = int(q.high)
            if q.low is not None and q.bound != "max":
                values.price_min, values.duration_min_s = q.low, int(q.low * 60)
        elif kind == "money":
            if q.bound == "min":
                values.price_min = q.low
            else:
                values.price_max = q.high
                if q.bound == "range":
                    values.price_min = q.low
            tags.cue("shopping", "price")
        elif kind == "duration":
            food = any(w.lower() in FOOD_WORDS for w in _WORD.findall(text))
            recipe = vertical == "ideas" or (
                vertical is None and (_RECIPE_LEAD.search(q.text) is not None or food)
            )
            low, high = q.low, q.high
            if recipe:
                if q.bound == "min" or high is None:
                    continue
                values.total_time_max_min = int(high)
                tags.cue("ideas", "ready in")
            else:
                if q.bound == "eq" and q.low is not None:
                    low, high = q.low - 15, q.low + 15
                if low is not None and q.bound != "max":
                    values.duration_min_s = int(max(low, 0) * 60)
                if high is not None:
                    values.duration_max_s = int(high * 60)
                tags.cue("video", "when")
        else:
            tags.cue("video", "when")
            if q.low is not None:
                values.year_min = int(q.low)
            if q.high is not None:
                values.year_max = int(q.high)
        tags.spans.append((q.start, q.end))


_QUICK = re.compile(r"\b(quick|fast|speedy|in a hurry|weeknight)\b", re.I)


def tag_quick(text: str, tags: Tags, vertical: Vertical | None) -> None:
    """'quick pasta recipes' means ready in 30 minutes, unless a time was given."""
    if vertical == "ideas" and not tags.values.found("total_time_max_min"):
        if m := _QUICK.search(text):
            tags.values.total_time_max_min = 30
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


GENRE_SYNONYMS = {"animated": "animation", "cartoon": "animation", "scifi": "sci-fi"}
COLOR_SYNONYMS = {"grey": "gray", "space grey": "space gray", "golden": "gold"}
DIET_SYNONYMS = {
    "veggie": "vegetarian", "meatless": "vegetarian", "meat-free": "vegetarian",
    "plant-based": "vegan", "plant based": "vegan", "meat free": "vegetarian",
}  # fmt: skip
"""Words people put before a dish for the catalog's diets ('veggie burgers', 'meatless
lasagna', 'plant based chili', hyphen or not); they count only in front of another word
('roasted veggie' is a topic)."""
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
        pair = " ".join(w for w, _, _ in words[i : i + 2])
        n = 2 if pair in DIET_SYNONYMS else 1
        said = pair if n == 2 else word
        diet = word if word in vocab.diets else DIET_SYNONYMS.get(said, "")
        if word not in vocab.diets and i + n >= len(words):
            diet = ""
        if diet in vocab.diets and vertical in (None, "ideas"):
            tags.values.diet.append(diet)
            tags.cue("ideas", word)
            tags.spans.append((start, words[i + n - 1][2]))
            skip_until = i + n
    if colors:
        tags.values.colors = list(dict.fromkeys(colors))
        tags.cue("shopping", colors[0])
    _tag_ngram_facets(words, tags, vocab, vertical)


def _tag_ngram_facets(
    words: list[tuple[str, int, int]], tags: Tags, vocab: FacetVocabulary, vertical: Vertical | None
) -> None:
    genres = {_singular(g): g for g in vocab.genres}
    genres |= {w: genres[g] for w, g in GENRE_SYNONYMS.items() if g in genres}
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
