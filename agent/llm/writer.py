"""LLM-written module titles, related searches and sub-query rewrites.

Each function takes the request's remaining LLM budget and returns None (or
an empty list) on any failure, so the caller keeps its template title,
catalog suggestions or original query: the LLM only ever improves a page.
Catalog text enters the prompts only as quoted, bounded data (`safety.quote`),
and every title, suggestion and rewrite is checked (`safety.Vocabulary`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent.llm.client import Budget, LLMClient, LLMError
from agent.llm.safety import Vocabulary, quote, quote_all, unsafe
from agent.models import Module
from prompts.loader import render

SYSTEM = "You help a discovery search engine. Reply with JSON only."
_CLEAN = re.compile(r"[\"'“”‘’`*#]+")


class TitleItem(BaseModel):
    id: str = Field(description="The module id, as given.")
    title: str = Field(description="2 to 6 words.")


class Titles(BaseModel):
    titles: list[TitleItem] = Field(description="One title per module.")


class Suggestions(BaseModel):
    suggestions: list[str] = Field(description="4 to 6 related searches, 2 to 6 words each.")


class Rewrite(BaseModel):
    query: str = Field(description="Rewritten search text, 1 to 5 words.")


def _clean(text: str, max_words: int) -> str:
    words = _CLEAN.sub("", text).strip().rstrip(".!?:;,").split()
    return " ".join(words[:max_words])


def _module_line(module: Module) -> str:
    firsts = quote_all((i.title for i in module.items[:3]), limit=60)
    return (
        f"{module.id} | {module.vertical} | {quote(module.subquery)} | {quote(module.title)} "
        f"| {firsts}"
    )


async def write_titles(
    llm: LLMClient, request: str, modules: list[Module], budget: Budget
) -> dict[str, str]:
    """Module id -> LLM title, for the modules whose title came back usable."""
    if not modules or budget.exhausted():
        return {}
    lines = "\n".join(map(_module_line, modules))
    user = render("titles", request=quote(request, 300), modules=lines)
    try:
        out = await llm.structured(
            system=SYSTEM, user=user, schema=Titles, budget=budget, name="titles"
        )
    except LLMError:
        return {}
    known = {m.id for m in modules}
    vocabulary = Vocabulary.for_page(request, modules)
    titles: dict[str, str] = {}
    for item in out.titles:
        title = _clean(item.title, 8)
        if item.id in known and 2 <= len(title) and vocabulary.accepts(title):
            titles[item.id] = title
    return titles


async def write_suggestions(
    llm: LLMClient, request: str, modules: list[Module], budget: Budget
) -> list[str]:
    """Related searches from the LLM, cleaned; the caller checks each returns results."""
    if not modules or budget.exhausted():
        return []
    topics = "\n".join(f"- {m.vertical}: {quote(m.subquery or m.title)}" for m in modules)
    colors = sorted({c for m in modules for i in m.items for c in i.colors})[:8]
    diets = sorted({d for m in modules for i in m.items for d in i.diet})[:4]
    genres = sorted({g for m in modules for i in m.items for g in i.genre})[:8]
    facets = f"colours: {quote_all(colors)}\ndiets: {quote_all(diets)}\ngenres: {quote_all(genres)}"
    user = render("suggest", request=quote(request, 300), topics=topics, facets=facets)
    try:
        out = await llm.structured(
            system=SYSTEM, user=user, schema=Suggestions, budget=budget, name="suggest"
        )
    except LLMError:
        return []
    vocabulary = Vocabulary.for_page(request, modules, item_titles=True)
    cleaned = [_clean(s, 6) for s in out.suggestions]
    kept = [s for s in cleaned if s and s.lower() != request.lower() and vocabulary.accepts(s)]
    return list(dict.fromkeys(kept))[:6]


async def rewrite_query(
    llm: LLMClient, request: str, query: str, vertical: str, problem: str, budget: Budget
) -> str | None:
    """A broader rewrite of a sub-query that found too little, or None."""
    if budget.exhausted() or not query.strip():
        return None
    user = render(
        "rewrite",
        request=quote(request, 300),
        query=quote(query),
        vertical=vertical,
        problem=problem,
    )
    try:
        out = await llm.structured(
            system=SYSTEM, user=user, schema=Rewrite, budget=budget, name="rewrite"
        )
    except LLMError:
        return None
    text = _clean(out.query, 6)
    if not text or text.lower() == query.lower():
        return None
    return text if unsafe(text) is None else None
