"""The clause splitter: the LLM only cuts a long request into its parts; the router routes them.

A 0.5B model plans poorly but can copy spans. It is asked for the parts of a
run-on request ('i need a chair under 200 and vegan recipes and a scary
movie'), each copied from the request. A part is kept only when it is a
verbatim span of the request; the kept parts only choose where the request is
cut, so every word stays in some clause (a price the model left out still
belongs to its clause). Each clause is read by the rule reader and placed by
the router, so the model decides nothing but the cut points. Fewer than two
verified parts raise `PlannerError`, and the router's own plan stands.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.llm.client import Budget, LLMClient, LLMError
from agent.models import Plan
from agent.planning.draft import PlannerError
from agent.planning.grounding import facet_words, intent_words
from agent.planning.routed import routed_plan
from agent.planning.router import Router
from agent.understand.model import Understanding
from agent.understand.reader import bind_weak, understand
from prompts.loader import render
from tools.facets import FacetVocabulary
from tools.filters import Filters

MAX_PARTS = 4
_JOINERS = r"and|also|then|plus|so|or|maybe|too|as well as|&"
_LEAD = re.compile(rf"^(?:(?:{_JOINERS})(?![\w'])[\s,]*)+", re.I)
_TRAIL = re.compile(rf"(?:[\s,]+(?:{_JOINERS}))+$", re.I)
_WORD = re.compile(r"[\w$'&-]+")
_HEAD = 3
_SLACK = 2
_NEARLY = 0.8
_PREPOSITIONS = frozenset(
    "under over below above than less more from in for at about with by of to within "
    "between without on around".split()
)


class ClauseSplit(BaseModel):
    """The parts of a request, each copied word for word from it."""

    model_config = ConfigDict(extra="forbid")

    parts: list[str] = Field(
        min_length=1, max_length=MAX_PARTS, description="Spans of the request, one per thing."
    )


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _in_order(needle: list[str], hay: list[str]) -> int:
    """How many of `needle`'s words occur in `hay` in order (a greedy subsequence)."""
    i = 0
    for word in hay:
        if i < len(needle) and word == needle[i]:
            i += 1
    return i


def cut_points(text: str, parts: list[str]) -> list[int]:
    """Word offsets in `text` where each verified part starts (parts not found are dropped).

    A part is verified when it is a span of the request, or when its first words are
    one and nearly all its words follow in order (a dropped 'also' or 'the').
    """
    words = _words(text)
    starts: set[int] = set()
    for part in parts:
        target = _words(part)
        n = len(target)
        if not n:
            continue
        head = target[: min(n, _HEAD)]
        for i in range(len(words) - len(head) + 1):
            if words[i : i + len(head)] != head:
                continue
            window = words[i : i + n + _SLACK]
            if words[i : i + n] == target or _in_order(target, window) >= _NEARLY * n:
                starts.add(i)
                break
    return sorted(starts)


def clauses(text: str, parts: list[str]) -> list[str]:
    """`text` cut where the second and later verified parts start; words before the
    first part join it, connectives at the cuts ('and also', 'then') are dropped and a
    preposition left at a cut's end ('chair under | $80') moves to the clause after it."""
    words = text.split()
    lowered = [_words(w) for w in words]
    flat_index: list[int] = []
    for i, toks in enumerate(lowered):
        flat_index.extend([i] * len(toks))
    starts = [flat_index[p] for p in cut_points(text, parts) if p < len(flat_index)]
    starts = sorted(set(starts))[1:]
    moved = []
    for start in starts:
        while start > 1 and words[start - 1].lower().strip(",;") in _PREPOSITIONS:
            start -= 1
        moved.append(start)
    bounds = [0, *sorted(set(moved)), len(words)]
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        clause = " ".join(words[a:b]).strip(" ,;")
        clause = _TRAIL.sub("", _LEAD.sub("", clause)).strip(" ,;")
        if clause:
            out.append(clause)
    return out


def join_modifiers(pieces: list[str], facets: frozenset[str] = frozenset()) -> list[str]:
    """Clauses that name no thing of their own ('under 200 dollars', 'in red') or that open
    with a preposition ('for the new flat') joined to the clause before them (the first
    one to the clause after it)."""
    out: list[str] = []
    for piece in pieces:
        first = piece.split()[0].lower() if piece.split() else ""
        if out and (not intent_words(piece, facets) or first in _PREPOSITIONS):
            out[-1] = f"{out[-1]} {piece}"
        elif len(out) == 1 and not intent_words(out[0], facets):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def understood_clauses(
    pieces: list[str], base: Understanding, vocab: FacetVocabulary, max_chars: int
) -> Understanding:
    """One understanding of the whole request, built from the rule reader on each clause."""
    segments = []
    for piece in pieces:
        segments.extend(understand(piece, vocab, max_chars=max_chars).segments)
    segments = segments[:MAX_PARTS]
    union = Filters()
    for seg in segments:
        try:
            union = union.merged(seg.filters)
        except ValueError:
            continue
    verticals = list(dict.fromkeys(s.vertical for s in segments if s.vertical))
    return base.model_copy(
        update={"segments": segments, "filters": union, "verticals": verticals, "confident": False}
    )


class ClauseSplitter:
    """Splits a request with the LLM, routes the clauses with the router; `PlannerError`."""

    def __init__(self, llm: LLMClient, router: Router, *, max_tokens: int = 96) -> None:
        self._llm = llm
        self._router = router
        self._max_tokens = max_tokens
        self.name = f"llm:{llm.model} (clauses)"

    def _filler(self, piece: str, vocab: FacetVocabulary, max_chars: int) -> bool:
        """A clause that asks for nothing by itself: no cue, no filter, the router unsure."""
        read = understand(piece, vocab, max_chars=max_chars)
        if any(s.vertical or not s.filters.is_empty() for s in read.segments):
            return False
        return not self._router.route(piece).confident

    def _join_fillers(self, pieces: list[str], vocab: FacetVocabulary, max_chars: int) -> list[str]:
        """Clauses that ask for nothing ('planning a party so') joined to the clause after them
        (the last one to the clause before it)."""
        return bind_weak(pieces, lambda piece: self._filler(piece, vocab, max_chars), " ")

    async def plan(
        self,
        understood: Understanding,
        vocab: FacetVocabulary,
        *,
        budget: Budget,
        max_chars: int = 2000,
    ) -> Plan:
        """The router's plan over the clauses the LLM found in `understood.text`."""
        try:
            split = await self._llm.structured(
                system=render("split_system"),
                user=render("split_user", request=understood.text),
                schema=ClauseSplit,
                budget=budget,
                name="split",
                max_tokens=self._max_tokens,
            )
        except LLMError as exc:
            raise PlannerError(f"LLM planner failed: {exc}") from exc
        pieces = self._join_fillers(
            join_modifiers(clauses(understood.text, split.parts), facet_words(vocab)),
            vocab,
            max_chars,
        )
        if len(pieces) < 2:
            raise PlannerError("LLM planner found no second part in the request")
        try:
            combined = understood_clauses(pieces, understood, vocab, max_chars)
            routed = routed_plan(combined, self._router)
        except (ValidationError, ValueError) as exc:
            raise PlannerError(f"LLM clauses could not be planned: {exc}") from exc
        return routed.plan.model_copy(update={"planner": self.name})
