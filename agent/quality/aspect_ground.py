"""Grounding an aspect in the catalog: the model proposes, the catalog disposes.

An aspect ("fries" for "burger night") is searched in its vertical and becomes
a module only when its first items are near in meaning to both:

- the aspect: the mean cosine of their stored MiniLM vectors to the aspect's own
  embedding reaches `TESSERA_EXPLORE_ASPECT_SIMILARITY` (office chairs for "beach
  chair", scissors for "spatula" and door plates for "plates" sit below it), and
  either the relevance gate's probability (`agent.quality.relevance`) that one of
  them answers the aspect's search text reaches the gate's threshold or that
  cosine reaches `TESSERA_EXPLORE_ASPECT_CLOSE` (the gate, fitted on searches, reads
  "beach movies" by the words of film titles; films about beaches are near the
  aspect in meaning). An aspect read as a filter with no words left ("comedy
  films", a genre) is answered by its filter;
- the request: the best cosine between the request's embedding and the stored
  vectors of those items reaches `TESSERA_EXPLORE_SIMILARITY` (recipes for
  "cleaning spray" are about cleaning spray, not about a spring-cleaning weekend
  in a recipe catalog, and fall below it).

Items already on the page are left out, so an aspect whose items are all shown
elsewhere is merged into them ("repeats ..."). `Verdict` carries the module or
the reason it was dropped, for the trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from agent.models import Module, ResultItem, ToolResult
from agent.quality.relevance import JUDGED, load_gate, relevance
from agent.understand.reader import understand
from tools.catalog import Vertical
from tools.contract import VERTICAL_TOOL, Hit, SubQuery
from tools.facets import FacetVocabulary
from tools.filters import Filters

if TYPE_CHECKING:
    from agent.deps import Deps

MIN_ITEMS = 2
"""An aspect with fewer new items than this is merged into the modules that show them."""
ASPECT_WEIGHT = 0.8
"""The intent signal of an aspect module: asked for by the plan, not named by the person."""
NOUN = {"ideas": "Ideas", "shopping": "Things to get", "video": "Something to watch"}


class Verdict(BaseModel):
    """What became of one aspect: its module, or why it was dropped."""

    aspect: str
    vertical: Vertical
    held: bool = False
    weak: bool = False
    """Held, but below its vertical's closeness floor: shown only on a page that would
    otherwise hold fewer than two aspects (`agent.nodes.aspect_modules`)."""
    module: Module | None = None
    reason: str = ""


def headline(request: str) -> str:
    """The request as a title's first half: 'burger night' -> 'Burger night'."""
    text = " ".join(request.split())[:40]
    return text[:1].upper() + text[1:]


def closeness(deps: Deps, vertical: Vertical, hits: Sequence[Hit], query: np.ndarray) -> float:
    """The best cosine between `query` and the stored vectors of the first items."""
    ids = [h.item.id for h in hits[:JUDGED]]
    stored = deps.index.embeddings(vertical, ids)
    if not stored:
        return 0.0
    return max(float(np.dot(vec, query)) for vec in stored.values())


def aspect_closeness(
    deps: Deps, vertical: Vertical, hits: Sequence[Hit], aspect: np.ndarray
) -> float:
    """The mean cosine between `aspect` and the stored vectors of the first items."""
    ids = [h.item.id for h in hits[:JUDGED]]
    stored = deps.index.embeddings(vertical, ids)
    if not stored:
        return 0.0
    return float(np.mean([float(np.dot(vec, aspect)) for vec in stored.values()]))


def request_vector(deps: Deps, request: str) -> np.ndarray:
    return np.asarray(deps.index.embedder.embed_query(request), dtype=np.float32)


def aspect_module(
    request: str, aspect: str, sq: SubQuery, items: list[ResultItem], k: int
) -> Module:
    """The module of a grounded aspect, titled 'Burger night · fries' (not yet scored)."""
    return Module(
        id=sq.id,
        title=f"{headline(request)} · {aspect}",
        vertical=sq.vertical,
        reason=f"{NOUN.get(sq.vertical, 'More')} for {request.strip()}: {aspect}",
        subquery=aspect,
        items=items[:k],
        aspect=aspect,
    )


async def judge(
    deps: Deps, aspect: str, vertical: Vertical, result: ToolResult, query: np.ndarray
) -> Verdict:
    """Whether an aspect's search result is near in meaning to the aspect and the request;
    `Verdict.reason` says why (a dropped verdict's reason starts with what failed)."""
    verdict = Verdict(aspect=aspect, vertical=vertical, held=False)
    if result.error:
        return verdict.model_copy(update={"reason": result.error})
    if not result.hits:
        return verdict.model_copy(update={"reason": "nothing in the catalog"})
    gate = load_gate()
    p = await asyncio.to_thread(relevance, result.subquery.text, result.hits, gate)
    about = 1.0
    if result.subquery.text.strip():
        vector = await asyncio.to_thread(request_vector, deps, aspect)
        about = await asyncio.to_thread(aspect_closeness, deps, vertical, result.hits, vector)
    settings = deps.settings
    floors = settings.explore_aspect_similarity
    lowest = min(floors.values(), default=0.0)
    if about < lowest or (p < gate.threshold and about < settings.explore_aspect_close):
        why = f"items not about '{aspect}' (p={p:.2f}, cosine {about:.2f})"
        return verdict.model_copy(update={"reason": why})
    near = await asyncio.to_thread(closeness, deps, vertical, result.hits, query)
    if near < settings.explore_similarity:
        return verdict.model_copy(
            update={"reason": f"items far from the request (cosine {near:.2f})"}
        )
    reason = f"p={p:.2f}, cosine {about:.2f} to the aspect, {near:.2f} to the request"
    weak = about < floors.get(vertical, lowest)
    return verdict.model_copy(update={"held": True, "weak": weak, "reason": reason})


def aspect_query(
    n: int, request: str, aspect: str, vertical: Vertical, vocab: FacetVocabulary
) -> SubQuery:
    """The search of the `n`th aspect in its vertical, read as any request is: facet words
    become filters ("comedy films" browses comedies), the rest is the search text."""
    read = understand(aspect, vocab)
    segment = read.segments[0] if len(read.segments) == 1 else None
    text, filters = (segment.topic, segment.filters) if segment is not None else (aspect, None)
    return SubQuery(
        id=f"a{n}",
        text=text,
        filters=filters or Filters(),
        tool=VERTICAL_TOOL[vertical],
        note=request,
        weight=ASPECT_WEIGHT,
    )


def place(
    verdict: Verdict,
    result: ToolResult,
    request: str,
    seen: dict[tuple[str, str], str],
    k: int,
) -> Verdict:
    """The verdict with its module, its items not already shown; merged when too few remain."""
    fresh: list[ResultItem] = []
    owners: list[str] = []
    for hit in result.hits:
        key = (hit.item.vertical, hit.item.id)
        if key in seen:
            owners.append(seen[key])
            continue
        fresh.append(ResultItem.from_hit(hit))
    if len(fresh) < MIN_ITEMS:
        other = max(set(owners), key=owners.count) if owners else "the page"
        return verdict.model_copy(update={"reason": f"repeats {other}"})
    module = aspect_module(request, verdict.aspect, result.subquery, fresh, k)
    for item in module.items:
        seen[(item.vertical, item.id)] = module.title
    return verdict.model_copy(update={"module": module, "reason": f"kept: {verdict.reason}"})
