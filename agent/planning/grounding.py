"""Grounding: turn a raw LLM plan into a `Plan` that only says what the request supports.

A small model invents colours and prices and misroutes intents. Every filter
it proposes is kept only when the request (or the conversation so far) states
it and the catalog's facet vocabulary has the value; the rule taggers'
findings are merged in and win on conflict; cued intents the model missed are
added back. A plan with nothing left raises `PlannerError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.models import TOOL_VERTICAL, VERTICAL_TOOL, Plan, SubQuery
from agent.planning.rules import filters_for
from agent.understand.lexicon import (
    FOOD_WORDS,
    GENERIC_WORDS,
    PHRASE_CUES,
    STOPWORDS,
    VERTICAL_CUES,
)
from agent.understand.model import Segment, Understanding
from tools.catalog import Vertical
from tools.facets import FacetVocabulary
from tools.filters import Filters

if TYPE_CHECKING:
    from agent.planning.llm_planner import DraftPlan

MAX_SUBQUERIES = 4

_NUM = r"(\d+(?:[.,]\d+)?)\s*(k\b)?"
_UPPER = (
    r"under|below|less than|cheaper than|max(?:imum)?|up to|at most|within|no more than|"
    r"budget(?: of)?"
)
_LOWER = r"over|above|more than|at least|min(?:imum)?|starting at"
_AMOUNT = re.compile(
    rf"(?:\b(?P<dir>{_UPPER}|{_LOWER}|between|from|around|about|"
    r"priced?(?: at)?|costs?|for)\s+)?(?P<cur>\$|usd\s*|€|£)?\s*(?P<num>\d+(?:[.,]\d+)?)\s*"
    r"(?P<k>k\b)?\s*(?P<unit>\$|usd\b|dollars?\b|bucks\b|€|£|eur\b|euros?\b)?",
    re.I,
)
_RANGE = re.compile(rf"(?:\$|usd)\s*{_NUM}\s*(?:-|–|to|and)\s*\$?\s*{_NUM}", re.I)
_NOT_MONEY_UNIT = re.compile(
    r"\s*(?:minutes?|mins?|m\b|hours?|hrs?|h\b|seconds?|secs?|s\b|years?|yrs?|people|"
    r"servings?|pages?|inch|inches|cm|mm|%|ml|oz|lbs?|kg|g\b)",
    re.I,
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|min\b|m\b|hours?|hrs?|hr\b|h\b)", re.I)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_DECADE = re.compile(r"(?<![\d])'?((?:19|20)?\d0)'?s\b", re.I)
_DECADE_WORDS = {
    "fifties": 1950, "sixties": 1960, "seventies": 1970, "eighties": 1980,
    "nineties": 1990, "noughties": 2000, "twenties": 2020,
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_SPELLINGS = {"grey": "gray"}
_FOOD = FOOD_WORDS | {
    "bean", "cheese", "velvet", "cupcake", "cupcakes", "onion", "onions", "lentil", "lentils",
    "curry", "grape", "grapes", "currant", "currants", "cabbage", "chili", "pesto", "bread",
    "smoothies", "cocktail", "punch", "soda", "mousse", "crumble", "cobbler", "crisp", "iced",
}  # fmt: skip


class PlannerError(Exception):
    """The LLM planner produced nothing usable; the caller falls back to the rule planner."""


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
    """What a request text states: amounts of money, lengths of time, years, words."""

    text: str
    prices: set[tuple[float, str]] = field(default_factory=set)
    minutes: set[int] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    words: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, text: str) -> Evidence:
        lowered = text.lower()
        ev = cls(text=lowered, words=[respell(w) for w in _WORD.findall(lowered)])
        for m in _AMOUNT.finditer(lowered):
            direction = (m.group("dir") or "").lower()
            money = m.group("cur") or m.group("unit")
            if not money and (not direction or _NOT_MONEY_UNIT.match(lowered, m.end("num"))):
                continue
            bound = "any"
            if re.fullmatch(_UPPER, direction):
                bound = "max"
            elif re.fullmatch(_LOWER, direction):
                bound = "min"
            ev.prices.add((_amount(m.group("num"), m.group("k")), bound))
        for m in _RANGE.finditer(lowered):
            ev.prices.add((_amount(m.group(1), m.group(2)), "min"))
            ev.prices.add((_amount(m.group(3), m.group(4)), "max"))
        for m in _DURATION.finditer(lowered):
            scale = 60 if m.group(2).startswith("h") else 1
            ev.minutes.add(round(float(m.group(1)) * scale))
        if re.search(r"\b(?:an|one) hour\b", lowered):
            ev.minutes.add(60)
        if re.search(r"\bhalf an hour\b", lowered):
            ev.minutes.add(30)
        if re.search(r"\bhour and a half\b", lowered):
            ev.minutes.add(90)
        ev.years = {int(y) for y in _YEAR.findall(lowered)}
        for m in _DECADE.finditer(lowered):
            raw = m.group(1)
            start = (
                int(raw)
                if len(raw) == 4
                else (1900 + int(raw) if int(raw) >= 30 else 2000 + int(raw))
            )
            ev.years |= {start, start + 9}
        for word, start in _DECADE_WORDS.items():
            if word in ev.words:
                ev.years |= {start, start + 9}
        return ev

    def has_price(self, value: float, bound: str) -> bool:
        """True when the text states `value` as a `bound` ('max' or 'min') or plainly."""
        return any(abs(value - p) < 0.01 and b in (bound, "any") for p, b in self.prices)

    def has_year(self, value: int) -> bool:
        return any(abs(value - y) <= 1 for y in self.years)

    def mentions(self, phrase: str, *, food_trap: bool = False) -> bool:
        """True when every word of `phrase` occurs (as a run, singular-insensitive)."""
        target = [singular(respell(w)) for w in _WORD.findall(phrase.lower())]
        words = [singular(w) for w in self.words]
        n = len(target)
        for i in range(len(words) - n + 1):
            if n and words[i : i + n] == target:
                if food_trap and _FOOD.intersection(self.words[i + n : i + n + 2]):
                    continue
                return True
        return False


def _amount(number: str, k: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * 1000 if k else value


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


def _supported(
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
_CLAUSE = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b|\bor\b|\balso\b)\s*", re.I)
_BETWEEN = re.compile(r"\b(between\s+\$?\s*\d[\d.,]*k?)\s+and\s+", re.I)
_STRIP_MONEY = re.compile(
    r"\b(?:under|below|over|above|less than|more than|up to|at most|cheaper than)\s*"
    r"(?:\$|usd)?\s*\d+(?:[.,]\d+)?\s*(?:k\b)?\s*(?:dollars?|usd|bucks)?|\$\s*\d+(?:[.,]\d+)?",
    re.I,
)
_STRIP_TIME = re.compile(
    r"\b(?:(?:from|in|of) (?:the )?)?'?(?:19|20)?\d0'?s\b|\b(?:from|in|since|after|before) "
    r"(?:19|20)\d\d\b|\b(?:ready |done )?(?:in |under |less than |within )*\d+(?:\.\d+)? ?"
    r"(?:minutes?|mins?|hours?|hrs?)\b",
    re.I,
)
_FILLER = frozenset(STOPWORDS | GENERIC_WORDS)
_MODIFIERS = frozenset(
    "cheaper pricier expensive shorter longer newer older new old minute hour min hr "
    "dollar buck price year decade than less more over one ones color colour size "
    "any instead just make it them same but".split()
)


def _tokens(text: str) -> set[str]:
    return {singular(w) for w in _WORD.findall(text.lower()) if w not in _FILLER}


def intent_words(clause: str, facet_words: frozenset[str] = frozenset()) -> set[str]:
    """Words that make a clause an intent of its own: not filler, numbers, modifiers
    ('cheaper', 'minutes') or facet values ('red', 'vegan')."""
    words = _tokens(clause) - _MODIFIERS - facet_words
    return {w for w in words if not w[0].isdigit()}


def local_texts(
    queries: list[str], text: str, facet_words: frozenset[str] = frozenset()
) -> list[str]:
    """For each sub-query, the part of `text` that speaks about it.

    The text is cut into clauses; a sub-query owns the clause sharing most of
    its words plus the modifier-only clauses next to it ('desk lamp, in red,
    under $40'), never another intent's clause. No shared word: the whole text.
    """
    clauses = _clauses(text)
    intent = [bool(intent_words(c, facet_words)) for c in clauses]
    owners: list[int | None] = []
    for query in queries:
        words = _tokens(query)
        scores = [len(words & _tokens(c)) for c in clauses]
        best = max(range(len(clauses)), key=scores.__getitem__) if clauses else 0
        owners.append(best if clauses and scores[best] else None)
    owned = {o for o in owners if o is not None}
    out: list[str] = []
    for owner in owners:
        if owner is None:
            out.append(text)
            continue
        start = owner
        while start > 0 and not intent[start - 1] and start - 1 not in owned:
            start -= 1
        end = owner + 1
        while end < len(clauses) and not intent[end] and end not in owned:
            end += 1
        out.append(", ".join(clauses[start:end]))
    return out


def _facet_words(vocab: FacetVocabulary) -> frozenset[str]:
    keys = (*vocab.colors, *vocab.brands, *vocab.diets)
    return frozenset(singular(w) for key in keys for w in _WORD.findall(key.lower()))


def _match_segment(query: str, vertical: Vertical, segments: list[Segment]) -> int | None:
    """The segment this sub-query serves: most shared words, then the same vertical."""
    if not segments:
        return None
    words = _tokens(query)
    scored = [
        (len(words & _tokens(seg.text)), seg.vertical == vertical, -i)
        for i, seg in enumerate(segments)
    ]
    best = max(scored)
    if best[0] == 0 and len(segments) > 1:
        return None
    return -best[2]


def _strong(segment: Segment, vocab: FacetVocabulary) -> bool:
    """True when the segment's vertical rests on a word that names one ('recipes', 'buy',
    'movie', a price, a year), a product category or a genre, not only on a colour,
    brand or diet, which food words imitate ('orange chicken', 'apple pie')."""
    cues = {singular(c.lower()) for c in segment.cues}
    named = set().union(*VERTICAL_CUES.values()) | set(PHRASE_CUES) | {"price", "$", "when"}
    kinds = {singular(k) for k in (*vocab.categories, *vocab.genres)}
    return bool(cues & ({singular(w) for w in named} | kinds))


def _merge(base: Filters, over: Filters) -> Filters:
    """`base` with `over` winning field by field; `over` alone if they contradict."""
    try:
        return base.merged(over)
    except ValueError:
        return over


def _clean_query(query: str, segment: Segment | None, fallback: str, vertical: Vertical) -> str:
    """The sub-query's search text without price and time phrases; the rule topic (filter
    words removed) when the model only repeated a clause the rules read the same way."""
    text = " ".join(query.split())
    same = segment is not None and segment.vertical == vertical
    if segment and same and text.lower() == segment.text.lower() and segment.topic:
        return segment.topic
    text = _STRIP_MONEY.sub(" ", _STRIP_TIME.sub(" ", text))
    text = " ".join(text.split()).strip(" ,.;-")
    if text:
        return text
    if segment:
        return segment.topic or _clean_query(segment.text, None, fallback, vertical)
    return fallback


@dataclass
class _Draft:
    text: str
    vertical: Vertical
    filters: Filters
    segment: int | None
    weight: float
    priority: int
    evidence: Evidence
    notes: list[str] = field(default_factory=list)


def ground_plan(
    raw: DraftPlan,
    understood: Understanding,
    vocab: FacetVocabulary,
    text: str,
    *,
    history: Sequence[str] = (),
    planner: str = "llm",
) -> Plan:
    """A `Plan` from a raw LLM plan: grounded filters, rule findings merged, 1-4 sub-queries.

    A filter stays only if the part of `text` about its sub-query (or an
    earlier turn in `history`) states it and the catalog has the value. Raises
    `PlannerError` when no sub-query survives.
    """
    segments = understood.segments
    steps = [s for s in raw.subqueries if s.tool in TOOL_VERTICAL]
    earlier = "\n".join(history)
    facet_words = _facet_words(vocab)
    locals_ = local_texts([s.query for s in steps], text, facet_words)
    drafts: list[_Draft] = []
    claims = bad = len(raw.subqueries) - len(steps)
    for step, local in zip(steps, locals_, strict=True):
        values = step.filters.model_dump(exclude_defaults=True)
        claims += 1 + len(values)
        vertical = TOOL_VERTICAL[step.tool]
        index = _match_segment(step.query, vertical, segments)
        segment = segments[index] if index is not None else None
        notes: list[str] = []
        if (
            segment
            and segment.vertical
            and segment.vertical != vertical
            and _strong(segment, vocab)
        ):
            notes.append(f"routed to {segment.vertical}, not {vertical}, by the cues")
            vertical = segment.vertical
            bad += 1
        ev = Evidence.read(f"{earlier}\n{local}")
        filters, dropped = ground_filters(values, vertical, vocab, ev)
        bad += len(dropped)
        if dropped:
            notes.append("dropped unsupported " + ", ".join(dropped))
        confirmed = segment is not None and segment.vertical == vertical
        drafts.append(
            _Draft(
                text=_clean_query(step.query, segment, understood.text, vertical),
                vertical=vertical,
                filters=filters,
                segment=index,
                weight=1.0 if confirmed else (0.8 if segment else 0.7),
                priority=0 if segment else 2,
                evidence=ev,
                notes=notes,
            )
        )
    _add_missed(drafts, understood, vocab)
    _merge_rule_findings(drafts, understood, vocab)
    kept = _dedupe(drafts)
    if not kept:
        raise PlannerError("the LLM plan has no usable sub-query")
    subqueries = [
        SubQuery(
            id=f"q{i}",
            text=d.text,
            tool=VERTICAL_TOOL[d.vertical],
            filters=d.filters,
            note="; ".join([planner, *d.notes])[:300],
            weight=d.weight,
        )
        for i, d in enumerate(kept, start=1)
    ]
    confidence = max(0.0, 1.0 - bad / max(claims, 1))
    return Plan(subqueries=subqueries, planner=planner, confidence=round(confidence, 3))


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(_BETWEEN.sub(r"\1 to ", text)) if c.strip()]


def _add_missed(drafts: list[_Draft], understood: Understanding, vocab: FacetVocabulary) -> None:
    """Intents the model skipped, found clause by clause in the rule segments.

    A clause sharing no word with any sub-query becomes one: in its segment's
    vertical when cued, else in the vertical of the intent before it ('an
    office chair under $150 and a bookcase'), with the rule filters it states.
    """
    refined = understood.refinement.filters if understood.refinement else Filters()
    facet_words = _facet_words(vocab)
    for index, segment in enumerate(understood.segments):
        clauses = _clauses(segment.text)
        rule = _merge(segment.filters, refined).model_dump(exclude_defaults=True)
        for clause in clauses:
            words = intent_words(clause, facet_words)
            if not words or any(words & _tokens(d.text) for d in drafts):
                continue
            before = [d.vertical for d in drafts if d.segment is not None and d.segment <= index]
            vertical = segment.vertical or (before[-1] if before else None)
            if vertical is None:
                continue
            ev = Evidence.read(clause)
            whole = len(clauses) == 1
            stated = {
                n: v for n, v in rule.items() if whole or _supported(n, v, vertical, vocab, ev)
            }
            text = segment.topic if whole and segment.vertical == vertical else ""
            text = text or " ".join(
                w
                for w in _clean_query(clause, None, clause, vertical).split()
                if w.lower() not in STOPWORDS
            )
            note = "added from the rule taggers" + ("" if segment.vertical else " (uncued)")
            drafts.append(
                _Draft(
                    text=text or clause,
                    vertical=vertical,
                    filters=filters_for(vertical, Filters.model_validate(stated)),
                    segment=index,
                    weight=1.0 if segment.vertical else 0.6,
                    priority=1,
                    evidence=ev,
                    notes=[note],
                )
            )


def _merge_rule_findings(
    drafts: list[_Draft], understood: Understanding, vocab: FacetVocabulary
) -> None:
    """Rule-found filters win. A segment served by several sub-queries gives each field to
    those whose part of the text states it (to all when none does)."""
    refined = understood.refinement.filters if understood.refinement else Filters()
    for index, segment in enumerate(understood.segments):
        group = [d for d in drafts if d.segment == index]
        for name, value in (
            _merge(segment.filters, refined).model_dump(exclude_defaults=True).items()
        ):
            takers = [
                d
                for d in group
                if len(group) == 1 or _supported(name, value, d.vertical, vocab, d.evidence)
            ] or group
            for d in takers:
                if not _more_specific(getattr(d.filters, name), value):
                    rule = Filters.model_validate({name: value})
                    d.filters = _merge(d.filters, filters_for(d.vertical, rule))
    if not understood.segments and not refined.is_empty():
        for d in drafts:
            d.filters = _merge(d.filters, filters_for(d.vertical, refined))


def _more_specific(mine: Any, rule: Any) -> bool:
    """True when list values already kept name every rule value more precisely
    ('rose gold' where the rules found 'gold')."""
    if not isinstance(rule, tuple | list) or not mine:
        return False
    return all(any(f" {r} " in f" {m} " and m != r for m in mine) for r in rule)


def _dedupe(drafts: list[_Draft]) -> list[_Draft]:
    """One draft per (vertical, text), at most four, preferring those tied to the request."""
    unique: dict[tuple[str, str], _Draft] = {}
    for draft in drafts:
        key = (draft.vertical, " ".join(sorted(_tokens(draft.text))) or draft.text.lower())
        if key in unique:
            first = unique[key]
            first.filters = _merge(draft.filters, first.filters)
        else:
            unique[key] = draft
    ordered = list(unique.values())
    chosen = {id(d) for d in sorted(ordered, key=lambda d: d.priority)[:MAX_SUBQUERIES]}
    return [d for d in ordered if id(d) in chosen]
