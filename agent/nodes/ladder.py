"""The relaxation ladder: looser searches for a weak sub-query, instead of an empty page.

When the strict search's first items are unlikely to answer the sub-query (the
relevance gate, `agent/quality/relevance.py`), the ladder tries, in order:

1. its core words: the request without its modifier and occasion words ("desk chairs"
   -> "chairs", "a kettle to boil water for tea" -> "kettle");
2. meaning only: a dense search for the clause as typed ("zombie films", not the topic
   "zombie": the vertical's noun places the words among films), judged against it;
3. the nearest category of the vertical: the category the request named, else the recipe
   category, film genre or product category whose name is closest in meaning to it.

Steps 1 and 2 are judged like the strict search, against the original request: the found
items' stored vectors are compared with the request's embedding, so a step is taken only
when its items are likely relevant to what was asked. Step 3 is taken when the
category's name is as near in meaning as an answering item would be (the gate's floor
for the vertical). The ladder runs only in a vertical the request asked for (a cue
word placed it, or the router did with confidence), not in one an unsure plan merely
tried (there, a loose neighbour is junk). Otherwise nothing in
the catalog is near and the page abstains. The request's stated bounds (price, time,
year, diet, colour) and a category the request named stay as they were (step 3 then
shows that category); when no step answers, assess relaxes the filters as before.
Each step says what it did in plain words, for the module's reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

import numpy as np

from agent.deps import Deps
from agent.models import ToolResult
from agent.nodes.tools import call_tool
from agent.planning.router import CONFIDENT
from agent.quality.category_names import nearest_name
from agent.quality.relevance import GateModel, load_gate, relevance
from agent.quality.words import query_terms
from tools.contract import Hit, SubQuery
from tools.index import CatalogIndex

log = logging.getLogger("tessera.ladder")

_SPLIT = re.compile(r"\b(?:for|with|about|from|in|on|by|to|without|under|over|at|that|which)\b")
_WORD = re.compile(r"[a-z0-9'-]+")
_NOUNS = {"ideas": "recipes", "shopping": "products", "video": "films"}


def plural(word: str) -> str:
    """A noun's plural, for the reason's 'here are other chairs'."""
    if word.endswith("s"):
        return word
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("ch", "sh", "x", "z")):
        return word + "es"
    return word + "s"


def core_text(text: str) -> str | None:
    """The request without modifier and occasion words: its head noun ('chairs' from
    'desk chairs', 'kettle' from 'a kettle to boil water for tea'); None when that is
    all the request was."""
    lowered = text.lower().strip()
    phrase = _SPLIT.split(lowered)[0].strip() or lowered
    words = [w for w in _WORD.findall(phrase) if query_terms(w)]
    if not words:
        return None
    core = words[-1]
    return None if core == " ".join(_WORD.findall(lowered)) else core


def rescored(index: CatalogIndex, vertical: str, text: str, hits: Sequence[Hit]) -> list[Hit]:
    """`hits` with their cosine to `text` (not to the words searched) from stored vectors;
    as they were when the vectors cannot be read (a damaged vertical is searched by words)."""
    try:
        vectors = index.embeddings(vertical, [h.item.id for h in hits])  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - damaged vectors leave the retrievers' own cosines
        log.warning("ladder: stored vectors of %s unreadable; cosines left as found", vertical)
        return list(hits)
    if not vectors:
        return list(hits)
    query = np.asarray(index.embedder.embed_query(text), dtype=np.float32)
    return [
        h.model_copy(update={"similarity": float(vectors[h.item.id] @ query)})
        if h.item.id in vectors
        else h
        for h in hits
    ]


def nearest_category(index: CatalogIndex, vertical: str, text: str) -> tuple[str, float] | None:
    """The category (genre, recipe category, product category) of `vertical` whose name is
    closest in meaning to `text` ('war films', 'pancake recipes', 'chairs'), and that
    cosine (`agent/quality/category_names.py`)."""
    return nearest_name(index, vertical, text)


def typed_clause(sq: SubQuery) -> str:
    """The clause as the person typed it ('zombie films'), when it holds every word of the
    sub-query's topic ('zombie'); else the topic (a follow-up's clause lacks its topic)."""
    topic, typed = _WORD.findall(sq.text.lower()), _WORD.findall(sq.note.lower())
    return sq.note if topic and set(topic) <= set(typed) else sq.text


async def _step(
    deps: Deps, sq: SubQuery, text: str, k: int, gate: GateModel, dense: bool, judged: str = ""
) -> list[Hit] | None:
    """The hits of one step, rescored against `judged` (the request's topic unless
    given); None unless likely relevant."""
    judged = judged or sq.text
    if dense:
        try:
            hits = await asyncio.to_thread(
                deps.index.search, sq.vertical, text, sq.filters, k=k, mode="dense"
            )
        except Exception:  # noqa: BLE001 - a damaged vertical has no meaning-only step
            log.warning("ladder: dense search of %s failed; step skipped", sq.vertical)
            return None
    else:
        hits = (await call_tool(deps, sq.model_copy(update={"text": text}), k)).hits
    if not hits:
        return None
    hits = await asyncio.to_thread(rescored, deps.index, sq.vertical, judged, hits)
    return hits if relevance(judged, hits, gate) >= gate.threshold else None


async def climb(deps: Deps, result: ToolResult, k: int) -> ToolResult | None:
    """The first ladder step whose items answer the weak `result`'s request, marked with
    what it did (`ToolResult.ladder`); None when nothing in the catalog is near."""
    gate = load_gate()
    sq = result.subquery
    if sq.weight < CONFIDENT:
        return None
    asked = sq.text
    noun = _NOUNS.get(sq.vertical, "items")
    core = core_text(asked)
    if core is not None:
        hits = await _step(deps, sq, core, k, gate, dense=False)
        if hits:
            what = re.sub(r"^(?:a|an|the|some)\s+", "", asked.strip(), flags=re.IGNORECASE)
            phrase = f"No {what} \u2014 here are other {plural(core)}"
            return ToolResult(subquery=sq, hits=hits, ladder=phrase)
    typed = typed_clause(sq)
    hits = await _step(deps, sq, typed, k, gate, dense=True, judged=typed)
    if hits:
        phrase = f"Nothing matched every word \u2014 these {noun} are closest in meaning"
        return ToolResult(subquery=sq, hits=hits, ladder=phrase)
    if sq.filters.category:
        category = str(sq.filters.category)
    else:
        near = await asyncio.to_thread(nearest_category, deps.index, sq.vertical, asked)
        if near is None or near[1] < gate.floor(sq.vertical):
            return None
        category = near[0]
    filters = sq.filters.model_copy(update={"category": category})
    found = await call_tool(deps, sq.model_copy(update={"text": "", "filters": filters}), k)
    if not found.hits:
        return None
    if category.lower() == asked.lower().strip():
        phrase = f"Few {noun} match every word \u2014 here are other {category} {noun}"
    else:
        said = sq.note or asked
        phrase = f"Nothing close to \u201c{said}\u201d \u2014 here are {category} {noun} instead"
    return ToolResult(subquery=sq, hits=found.hits, ladder=phrase)
