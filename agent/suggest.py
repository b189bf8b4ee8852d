"""Related searches from the catalog: facets that co-occur with what the page shows.

Each suggestion pairs a module's topic with a facet value carried by at least
one item already in that module, phrased so the taggers read the facet back as
a filter; so every suggestion returns results when clicked.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from agent.llm.safety import unsafe
from agent.models import Module, ResultItem
from agent.planning.rules import EmptyPlan, rule_plan
from agent.understand.reader import understand
from tools.facets import FacetVocabulary

if TYPE_CHECKING:
    from tools.index import CatalogIndex

MAX_SUGGESTIONS = 8


def _top(values: list[str], exclude: set[str]) -> list[str]:
    """The two commonest facet values; values that read as links or instructions never."""
    counts = Counter(
        v.lower() for v in values if v and v.lower() not in exclude and unsafe(v) is None
    )
    return [value for value, _ in counts.most_common(2)]


def _for_module(module: Module, query: str) -> list[str]:
    topic = module.subquery.strip()
    lowered = query.lower()
    items: list[ResultItem] = module.items
    out: list[str] = []
    if module.vertical == "shopping" and topic:
        for color in _top([c for it in items for c in it.colors], set(lowered.split())):
            out.append(f"{color} {topic}")
        prices = sorted(it.price for it in items if it.price is not None)
        if len(prices) >= 2:
            out.append(f"{topic} under ${int(prices[len(prices) // 2]) + 1}")
    elif module.vertical == "ideas" and topic:
        for diet in _top([d for it in items for d in it.diet], set(lowered.split())):
            out.append(f"{diet} {topic} recipes")
        if any(it.total_time_min is not None and it.total_time_min <= 30 for it in items):
            if "minutes" not in lowered:
                out.append(f"{topic} ready in under 30 minutes")
    elif module.vertical == "video":
        for genre in _top([g for it in items for g in it.genre], set(lowered.split())):
            out.append(f"{genre} {topic} movies".replace("  ", " "))
        years = [it.year for it in items if it.year]
        if years and "s" not in topic[-1:]:
            decade = Counter(y // 10 * 10 for y in years).most_common(1)[0][0]
            if str(decade) not in lowered:
                out.append(f"{topic or 'movies'} from the {decade}s".strip())
    return out


def related_searches(modules: list[Module], query: str) -> list[str]:
    """Up to `MAX_SUGGESTIONS` distinct suggestions, interleaved across modules."""
    per_module = [_for_module(m, query) for m in modules]
    out: list[str] = []
    for round_ in range(3):
        for suggestions in per_module:
            if round_ < len(suggestions):
                text = " ".join(suggestions[round_].split())
                if text.lower() != query.lower() and text not in out:
                    out.append(text)
    return out[:MAX_SUGGESTIONS]


def returns_results(index: CatalogIndex, vocab: FacetVocabulary, text: str) -> bool:
    """True when `text`, planned by the rules, finds at least one lexical match."""
    try:
        plan = rule_plan(understand(text, vocab))
    except EmptyPlan:
        return False
    return any(
        index.search(sq.vertical, sq.text, sq.filters, k=1, mode="lexical" if sq.text else "hybrid")
        for sq in plan.subqueries
    )
