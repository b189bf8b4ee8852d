"""Grounding: turn a raw LLM plan into a `Plan` that only says what the request supports.

A small model invents colours and prices and misroutes intents. Every filter
it proposes is kept only when the request (or the conversation so far) states
it and the catalog's facet vocabulary has the value; the rule taggers'
findings are merged in and win on conflict; cued intents the model missed are
added back. A plan with nothing left raises `PlannerError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.models import Plan
from agent.planning.draft import DraftPlan, PlannerError
from agent.planning.evidence import WORD, Evidence, ground_filters, singular, supported
from agent.understand.lexicon import (
    GENERIC_WORDS,
    PHRASE_CUES,
    STOPWORDS,
    VERTICAL_CUES,
)
from agent.understand.model import Segment, Understanding
from agent.understand.quantities import split_clauses, strip_quantities
from tools.catalog import Vertical
from tools.contract import TOOL_VERTICAL, VERTICAL_TOOL, SubQuery
from tools.facets import FacetVocabulary
from tools.filters import Filters, filters_for

MAX_SUBQUERIES = 4

_CLAUSE_WORDS = (",", ";", "&", "and", "plus", "or", "also")
_FILLER = frozenset(STOPWORDS | GENERIC_WORDS)
_MODIFIERS = frozenset(
    "cheaper pricier expensive shorter longer newer older new old minute hour min hr "
    "dollar buck price year decade than less more over one ones color colour size "
    "any instead just make it them same but".split()
)


def _tokens(text: str) -> set[str]:
    return {singular(w) for w in WORD.findall(text.lower()) if w not in _FILLER}


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


def facet_words(vocab: FacetVocabulary) -> frozenset[str]:
    keys = (*vocab.colors, *vocab.brands, *vocab.diets)
    return frozenset(singular(w) for key in keys for w in WORD.findall(key.lower()))


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
    text = strip_quantities(text).strip(" ,.;-")
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
    facets = facet_words(vocab)
    locals_ = local_texts([s.query for s in steps], text, facets)
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
    return split_clauses(text, _CLAUSE_WORDS)


def _add_missed(drafts: list[_Draft], understood: Understanding, vocab: FacetVocabulary) -> None:
    """Intents the model skipped, found clause by clause in the rule segments.

    A clause sharing no word with any sub-query becomes one: in its segment's
    vertical when cued, else in the vertical of the intent before it ('an
    office chair under $150 and a bookcase'), with the rule filters it states.
    """
    refined = understood.refinement.filters if understood.refinement else Filters()
    facets = facet_words(vocab)
    for index, segment in enumerate(understood.segments):
        clauses = _clauses(segment.text)
        rule = _merge(segment.filters, refined).model_dump(exclude_defaults=True)
        for clause in clauses:
            words = intent_words(clause, facets)
            if not words or any(words & _tokens(d.text) for d in drafts):
                continue
            before = [d.vertical for d in drafts if d.segment is not None and d.segment <= index]
            vertical = segment.vertical or (before[-1] if before else None)
            if vertical is None:
                continue
            ev = Evidence.read(clause)
            whole = len(clauses) == 1
            stated = {
                n: v for n, v in rule.items() if whole or supported(n, v, vertical, vocab, ev)
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
                if len(group) == 1 or supported(name, value, d.vertical, vocab, d.evidence)
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
