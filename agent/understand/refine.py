"""Follow-up turns as state: a short turn changes the thread's intents, not the topic.

A turn that adjusts the previous request is rewritten into segments built from the
previous plan, so planning and retrieval work exactly as for a fresh request. The
follow-up is read (`read_in`) in the vertical of each earlier intent, by the same
quantity reader as any request, so 'under 20 minutes' after 'pancakes' is a recipe's
time and 'horror' after 'thrillers' a genre.

- An explicit bound replaces the one before it: 'cheaper than 900' after 'laptops' is
  laptops under $900, 'make that under 100' replaces 'under 500'.
- Constraints accumulate on the same topic: 'desk chairs', 'less than 90 dollars',
  'in black'.
- A genre or topic switch keeps what still applies: 'how about comedies' after 'action
  films from the 1980s' keeps the 1980s; 'how about pasta' keeps a recipe's time.
- A relative word without an amount moves the bound: 'cheaper' is 0.7 x the highest
  price seen, 'shorter' shortens the time.
- A new intent named after 'and' / 'also' / 'plus' is added before the earlier ones:
  'and an italian film for later' after 'lemon cake'; naming only a vertical is enough
  ('and a film to watch after' adds films, it does not look for curry films).
- The kind of thing an earlier shopping intent found (`kinds`: its catalog category)
  stays with it and is locked, so a bound the catalog cannot meet empties that module
  (and the page says so) instead of filling it with other products.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from agent.models import Plan
from agent.understand.model import Refinement, Segment, Understanding
from agent.understand.reader import content_tokens, read_in
from agent.understand.titles import constraints
from tools.catalog import Vertical
from tools.facets import FacetVocabulary
from tools.filters import Filters, filters_for

_CHEAPER = re.compile(r"\b(cheaper|less expensive|lower price|budget|more affordable)\b", re.I)
_PRICIER = re.compile(r"\b(pricier|more expensive|premium|higher end|fancier)\b", re.I)
_SHORTER = re.compile(r"\b(shorter|quicker|faster)\b", re.I)
_SWITCH: dict[Vertical, re.Pattern[str]] = {
    "video": re.compile(r"\b(videos?|movies?|films?)\b", re.I),
    "ideas": re.compile(r"\b(ideas?|recipes?|how[- ]tos?)\b", re.I),
    "shopping": re.compile(r"\b(products?|things to buy|shopping|to buy)\b", re.I),
}
_INSTEAD = re.compile(r"\b(instead|rather|only|just|switch to|what about)\b", re.I)
_OTHER = re.compile(r"\b(?:how|what)\s+about\b|\binstead\b|^\s*(?:now|maybe|perhaps)\b", re.I)
_ADD = re.compile(r"^\s*(?:and|also|plus|&)\b", re.I)
_FOLLOW_WORDS = frozenset(
    "cheaper pricier shorter quicker instead ones one those them expensive less more lower "
    "price affordable premium faster".split()
)
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("price_min", "price_max"),
    ("duration_min_s", "duration_max_s"),
    ("year_min", "year_max"),
    ("total_time_max_min",),
    ("colors",),
    ("brands",),
    ("category",),
    ("diet",),
    ("availability",),
)


def refine(
    understood: Understanding,
    previous: Plan,
    max_price_seen: float | None,
    vocab: FacetVocabulary,
    kinds: Mapping[str, str] | None = None,
) -> Understanding | None:
    """Rewrite a follow-up into a full understanding, or None when it is a new request."""
    text = understood.text
    earlier = [(sq.text, sq.vertical, sq.filters) for sq in previous.subqueries]
    read = {v: read_in(text, vocab, v) for v in dict.fromkeys(v for _, v, _ in earlier)}
    switch = next((v for v, p in _SWITCH.items() if p.search(text)), None)
    words = _words(understood)
    if _ADD.match(text) and any(_adds(s, switch) for s in understood.segments):
        return _add(understood, earlier, switch)
    kind: str | None = None
    if switch and (_INSTEAD.search(text) or len(words) <= 1):
        kind = "vertical"
    elif all(_words_of(seg) for seg in read.values()):
        kind = "topic" if _OTHER.search(text) and len(words) <= 3 else None
        if kind is None and _relative(text) and not _new_topic(words, previous):
            kind = _relative(text)
    elif any(not seg.filters.is_empty() for seg in read.values()):
        kind = "filter"
    elif _relative(text):
        kind = _relative(text)
    if kind is None:
        return None
    segments: list[Segment] = []
    locks = Filters()
    for topic, vertical, filters in earlier:
        here = read[vertical]
        new = filters_for(vertical, here.filters)
        if kind == "vertical" and switch:
            segments.append(_segment(topic, switch, Filters()))
            continue
        if kind in ("cheaper", "pricier", "shorter"):
            merged = _relative_bound(filters, kind, vertical, max_price_seen)
        else:
            if kind == "topic":
                topic = here.topic
            elif new.category and topic.lower() == (filters.category or "").lower():
                topic = ""
            merged = _replace(filters, new)
        kind_of = (kinds or {}).get(topic) if vertical == "shopping" else None
        if kind_of and not merged.category and kind != "topic":
            merged = merged.model_copy(update={"category": kind_of})
            locks = locks.model_copy(update={"category": kind_of})
        segments.append(_segment(topic, vertical, merged))
    segments = list({(s.topic, s.vertical): s for s in segments}.values())
    stated = _union(filters_for(v, seg.filters) for v, seg in read.items())
    if locks.category:
        stated = stated.model_copy(update={"category": stated.category or locks.category})
    return understood.model_copy(
        update={
            "segments": segments,
            "verticals": list(dict.fromkeys(s.vertical for s in segments if s.vertical)),
            "refinement": Refinement(kind=kind, vertical=switch, filters=stated),
            "confident": True,
        }
    )


def _relative(text: str) -> str | None:
    for kind, pattern in (("cheaper", _CHEAPER), ("pricier", _PRICIER), ("shorter", _SHORTER)):
        if pattern.search(text):
            return kind
    return None


def _words_of(segment: Segment) -> list[str]:
    return [w for w in content_tokens(segment.topic) if w not in _FOLLOW_WORDS]


def _words(understood: Understanding) -> list[str]:
    return [w for s in understood.segments for w in _words_of(s)]


def _names_intent(segment: Segment) -> bool:
    """A segment that names something of its own: topic words or a genre, in a vertical."""
    return segment.vertical is not None and bool(_words_of(segment) or segment.filters.category)


def _adds(segment: Segment, named: Vertical | None) -> bool:
    """A segment an 'and ...' turn adds: one that names something of its own, or the
    vertical the turn names ('and a film to watch after': any film, not curry films)."""
    return _names_intent(segment) or (named is not None and segment.vertical == named)


def _add(
    understood: Understanding,
    earlier: list[tuple[str, Vertical, Filters]],
    named: Vertical | None,
) -> Understanding:
    """The follow-up's own intents first, then the earlier ones as they were."""
    added = [s for s in understood.segments if _adds(s, named)]
    kept = [_segment(topic, vertical, filters) for topic, vertical, filters in earlier]
    segments = list({(s.topic, s.vertical): s for s in [*added, *kept]}.values())[:4]
    return understood.model_copy(
        update={
            "segments": segments,
            "verticals": list(dict.fromkeys(s.vertical for s in segments if s.vertical)),
            "refinement": Refinement(kind="add", vertical=added[0].vertical),
            "confident": True,
        }
    )


def _segment(topic: str, vertical: Vertical, filters: Filters) -> Segment:
    """A segment whose text says the intent in words ('laptops under $900')."""
    filters = filters_for(vertical, filters)
    text = " ".join(p for p in (topic, *constraints(filters, with_category=not topic)) if p)
    return Segment(text=text or topic, topic=topic, vertical=vertical, filters=filters)


def _replace(old: Filters, new: Filters) -> Filters:
    """`old` with every constraint `new` states put in place of the same kind in `old`."""
    data = old.model_dump(exclude_defaults=True)
    stated = new.model_dump(exclude_defaults=True)
    for group in _GROUPS:
        if any(name in stated for name in group):
            for name in group:
                data.pop(name, None)
                if name in stated:
                    data[name] = stated[name]
    return Filters.model_validate(data)


def _union(parts: Iterable[Filters]) -> Filters:
    out = Filters()
    for part in parts:
        out = out.merged(part)
    return out


def _stem(word: str) -> str:
    return word.lower().removesuffix("s")


def _new_topic(tokens: list[str], previous: Plan) -> bool:
    """Whether the follow-up names something the previous turn did not ("cheaper office
    chair" after a film search is a new request, "cheaper chairs" after chairs is not)."""
    known = {_stem(w) for sq in previous.subqueries for w in sq.text.split()}
    return any(_stem(t) not in known for t in tokens)


def _relative_bound(
    filters: Filters, kind: str, vertical: Vertical, max_price_seen: float | None
) -> Filters:
    data = filters.model_dump(exclude_defaults=True)
    if kind == "cheaper" and vertical == "shopping":
        ceiling = filters.price_max or max_price_seen
        if ceiling:
            data["price_max"] = round(ceiling * 0.7, 2)
            data.pop("price_min", None)
    elif kind == "pricier" and vertical == "shopping":
        floor = filters.price_max or max_price_seen
        if floor:
            data["price_min"] = round(floor, 2)
            data.pop("price_max", None)
    elif kind == "shorter" and vertical == "video":
        data["duration_max_s"] = int((filters.duration_max_s or 7200) * 0.75)
    elif kind == "shorter" and vertical == "ideas":
        data["total_time_max_min"] = int((filters.total_time_max_min or 60) * 0.6)
    return Filters.model_validate(data)
