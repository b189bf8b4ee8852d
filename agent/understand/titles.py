"""Module titles from spans: the intent's head phrase plus its constraints, written back.

The head is the sub-query's text with every quantity the reader recognises (and
the bound and function words around it) removed, and the vertical's own generic
words dropped; the constraints come from the sub-query's filters in one canonical
form ("under $1,500", "under 1 hour", "1990s"). A title is at most 60 characters,
cut at a word boundary, and the constraint survives the cut.

>>> from tools.contract import SubQuery
>>> from tools.filters import Filters
>>> sq = SubQuery(id="q1", text="chicken that take less than an hour", tool="search_ideas",
...               filters=Filters(total_time_max_min=60))
>>> title_for(sq)
'Chicken ideas · under 1 hour'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.understand.quantities import strip_quantities
from tools.contract import SubQuery
from tools.filters import Filters
from tools.terms import CatalogTerms

MAX_TITLE = 60
_GENERIC = frozenset(
    "idea ideas recipe recipes video videos movie movies film films clip clips shop shopping "
    "buy product products some me show find good best please i want need looking the a an "
    "and or of to in that which less more than take takes half under over only hour hours "
    "minute minutes min mins dollar dollars bucks flick flicks".split()
)
_HEAD_TRIM = frozenset(
    "a an the and or of to in with for that which less more than take takes half under over "
    "from by at".split()
)


def _money(value: float) -> str:
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def _minutes(value: float) -> str:
    minutes = int(round(value))
    hours, rest = divmod(minutes, 60)
    if hours and not rest:
        return f"{hours} hour" + ("s" if hours > 1 else "")
    if hours:
        return f"{hours} h {rest} min"
    return f"{minutes} min"


def _range(low: float | None, high: float | None, show: Callable[[float], str]) -> str:
    """A bound in canonical form ("$10–$20", "under 1 hour", "over $40"), "" without one."""
    if low is not None and high is not None:
        return f"{show(low)}–{show(high)}"
    if high is not None:
        return f"under {show(high)}"
    if low is not None:
        return f"over {show(low)}"
    return ""


def _years(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        if low == high:
            return str(low)
        if low % 10 == 0 and high == low + 9:
            return f"{low}s"
        return f"{low}–{high}"
    if low is not None:
        return f"since {low}"
    return f"before {(high or 0) + 1}"


def constraints(filters: Filters, *, with_category: bool = True) -> list[str]:
    """Each constraint of `filters` in canonical form, most telling first."""
    out: list[str] = []
    if with_category and filters.category:
        out.append(filters.category.lower())
    out += [d.lower() for d in filters.diet]
    if filters.colors:
        out.append("/".join(filters.colors))
    if filters.brands:
        out.append("by " + "/".join(filters.brands))
    price = _range(filters.price_min, filters.price_max, _money)
    if price:
        out.append(price)
    if filters.total_time_max_min is not None:
        out.append(f"under {_minutes(filters.total_time_max_min)}")
    duration = _range(
        filters.duration_min_s, filters.duration_max_s, lambda seconds: _minutes(seconds / 60)
    )
    if duration:
        out.append(duration)
    if filters.year_min is not None or filters.year_max is not None:
        out.append(_years(filters.year_min, filters.year_max))
    if filters.availability:
        out.append(filters.availability.replace("_", " "))
    return out


def head_phrase(text: str) -> str:
    """The words of `text` that name what is wanted: quantities, generic request words
    and dangling function words removed."""
    words = [w for w in strip_quantities(text).split() if w.lower() not in _GENERIC]
    while words and words[-1].lower() in _HEAD_TRIM:
        words.pop()
    while words and words[0].lower() in _HEAD_TRIM:
        words.pop(0)
    words = [w for w in words if not re.fullmatch(r"[$€£]?\d[\d,.]*k?", w)]
    return " ".join(words)


_RELATION = re.compile(r"\s(?:for|with|to go with|that (?:works?|goes|fits?) with|to fit)\s", re.I)


def topic_phrase(text: str, terms: CatalogTerms | None = None, vertical: str = "") -> str:
    """What the request is about: the head phrase before what it is for ('pancake
    breakfast' of 'pancake breakfast for family'); with `terms`, leading words that no
    title of `vertical` uses are dropped before a catalog noun ('pancakes' of 'how to
    make pancakes', 'war' of 'classic war' among films)."""
    head = head_phrase(text)
    cut = _RELATION.split(f" {head} ", maxsplit=1)[0].strip()
    words = (cut or head).split()
    if terms is not None:
        while len(words) > 1 and not terms.knows(vertical, words[0]):
            if not any(terms.is_noun(w) for w in words[1:]):
                break
            words.pop(0)
    return " ".join(words)


def _stem(word: str) -> str:
    for end, repl in (("ies", "y"), ("ies", "ie"), ("s", "")):
        if word.endswith(end) and len(word) > 3:
            return word[: -len(end)] + repl
    return word


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    words = cut[:limit].split()
    while words and words[-1].lower() in _HEAD_TRIM:
        words.pop()
    return " ".join(words)


def title_for(sq: SubQuery, terms: CatalogTerms | None = None) -> str:
    """'Chicken ideas · under 1 hour', 'Shop office chair · under $1,500',
    'Comedy videos · 1990s': at most 60 characters, naming the topic only."""
    topic = topic_phrase(sq.text, terms, sq.vertical)
    filters = sq.filters
    named = {_stem(w) for w in topic.lower().split()}
    category = (filters.category or "").lower()
    use_category = bool(category) and not all(_stem(w) in named for w in category.split())
    if not topic and sq.vertical == "video" and filters.category:
        topic, use_category = filters.category, False
    tail = ", ".join(constraints(filters, with_category=use_category))
    room = MAX_TITLE - (len(tail) + 3 if tail else 0)
    if room < 12:
        tail, room = _cut(tail, MAX_TITLE - 15), 12
    if sq.vertical == "shopping":
        head = f"Shop {_cut(topic, room - 5)}" if topic else "Products"
    elif sq.vertical == "video":
        head = f"{_cut(topic, room - 7).capitalize()} videos" if topic else "Videos"
    else:
        head = f"{_cut(topic, room - 6).capitalize()} ideas" if topic else "Ideas"
    return _cut(f"{head} · {tail}" if tail else head, MAX_TITLE)
