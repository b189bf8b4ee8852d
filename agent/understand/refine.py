"""Follow-up turns: 'cheaper', 'show me videos instead', 'only in blue'.

A short turn that changes the previous request rather than starting a new one
is rewritten into segments built from the previous plan, so planning and
retrieval work exactly as for a fresh request.
"""

from __future__ import annotations

import re

from agent.models import Plan
from agent.understand.model import Refinement, Segment, Understanding
from agent.understand.reader import content_tokens
from tools.catalog import Vertical
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
_FOLLOW_WORDS = frozenset(
    {
        "cheaper",
        "pricier",
        "shorter",
        "quicker",
        "instead",
        "ones",
        "one",
        "those",
        "them",
        "expensive",
        "less",
        "more",
        "lower",
        "price",
        "affordable",
        "premium",
        "faster",
    }
)


def refine(
    understood: Understanding, previous: Plan, max_price_seen: float | None
) -> Understanding | None:
    """Rewrite a follow-up into a full understanding, or None when it is a new request."""
    text = understood.text
    tokens = [t for t in content_tokens(text) if t not in _FOLLOW_WORDS]
    new_filters = understood.filters
    switch = next((v for v, p in _SWITCH.items() if p.search(text)), None)
    kind: str | None = None
    if _CHEAPER.search(text):
        kind = "cheaper"
    elif _PRICIER.search(text):
        kind = "pricier"
    elif _SHORTER.search(text):
        kind = "shorter"
    elif switch and (_INSTEAD.search(text) or len(tokens) <= 1):
        kind = "vertical"
    elif not new_filters.is_empty() and len(_topic_words(understood)) == 0:
        kind = "filter"
    if kind is None or len(tokens) > 3 and kind != "filter":
        return None
    if kind in ("cheaper", "pricier", "shorter") and _new_topic(tokens, previous):
        return None
    segments = [
        _refined_segment(
            sq.text, sq.vertical, sq.filters, kind, switch, new_filters, max_price_seen
        )
        for sq in previous.subqueries
    ]
    if kind == "vertical":
        segments = list({(s.topic, s.vertical): s for s in segments}.values())
    return understood.model_copy(
        update={
            "segments": segments,
            "verticals": list(dict.fromkeys(s.vertical for s in segments if s.vertical)),
            "refinement": Refinement(kind=kind, vertical=switch, filters=new_filters),
            "confident": True,
        }
    )


def _stem(word: str) -> str:
    return word.lower().removesuffix("s")


def _new_topic(tokens: list[str], previous: Plan) -> bool:
    """Whether the follow-up names something the previous turn did not ("cheaper office
    chair" after a film search is a new request, "cheaper chairs" after chairs is not)."""
    known = {_stem(w) for sq in previous.subqueries for w in sq.text.split()}
    return any(_stem(t) not in known for t in tokens)


def _topic_words(understood: Understanding) -> list[str]:
    return [w for s in understood.segments for w in s.topic.split() if w not in _FOLLOW_WORDS]


def _refined_segment(
    topic: str,
    vertical: Vertical,
    filters: Filters,
    kind: str,
    switch: Vertical | None,
    new: Filters,
    max_price_seen: float | None,
) -> Segment:
    if kind == "vertical" and switch:
        return Segment(text=topic, topic=topic, vertical=switch, filters=Filters())
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
    elif kind == "filter":
        data |= _applicable(new, vertical)
    return Segment(text=topic, topic=topic, vertical=vertical, filters=Filters.model_validate(data))


def _applicable(new: Filters, vertical: Vertical) -> dict[str, object]:
    return filters_for(vertical, new).model_dump(exclude_defaults=True)
