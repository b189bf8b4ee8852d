"""Related searches a person would type, built from the catalog's own nouns.

Every suggestion is a catalog noun (a title head such as "pancakes", a category or
genre) with at most one modifier the catalog attests: a facet value carried by the
page's items ("vegan soup recipes", "blue backpack"), a phrase that names at least
two items ("bean soup recipes", "office chair"), or a decade the genre's films span.
The request's own words take part only when they are such nouns, so a leftover word
("how", "first", "week") never becomes a search. The counts come from
`CatalogIndex.terms()`, built once per index version: no search runs per suggestion.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from agent.llm.safety import unsafe
from agent.models import Module
from agent.planning.rules import EmptyPlan, rule_plan
from agent.understand.reader import topic_tokens, understand
from tools.facets import FacetVocabulary
from tools.terms import MIN_SUPPORT, CatalogTerms

if TYPE_CHECKING:
    from tools.index import CatalogIndex

MAX_SUGGESTIONS = 8
PER_SOURCE = 3
TEMPLATE_WORDS = frozenset("recipes ideas movies shop from the under ready in minutes".split())
_DECADE = re.compile(r"\b(1[89]\d|20\d)0s\b")


def topic_nouns(text: str, terms: CatalogTerms) -> list[str]:
    """The request's words that are catalog nouns, from what is wanted ('pancake
    breakfast' in 'pancake breakfast for family') before what it is for."""
    tokens = topic_tokens(text)
    for relation in ("for", "with"):
        if relation in tokens:
            tokens = tokens[: tokens.index(relation)]
    return [t for t in dict.fromkeys(tokens) if terms.is_noun(t)]


def recipes(phrase: str) -> str:
    """'pancakes' stays; 'bean soup' reads 'bean soup recipes'."""
    return phrase if phrase.endswith("s") else f"{phrase} recipes"


def _top(values: Iterable[str], exclude: set[str], n: int = 2) -> list[str]:
    counts = Counter(v.lower() for v in values if v and unsafe(v) is None)
    return [v for v, _ in counts.most_common() if v not in exclude][:n]


def _head(vertical: str, words: list[str], terms: CatalogTerms) -> str | None:
    for word in reversed(words):
        found = terms.head(vertical, word)
        if found:
            return found[0]
    return None


def _named(vertical: str, head: str, text: str, terms: CatalogTerms) -> str:
    """The catalog's phrase ending in `head` that the request says ('coffee maker' for
    'a drip coffee maker'), so a modifier qualifies the thing asked for, not its last
    word ('black coffee maker', never 'black maker'); else the head itself."""
    said = " " + " ".join(topic_tokens(text)) + " "
    found = [p for p, _ in terms.phrases(vertical, head) if f" {p} " in said]
    return max(found, key=lambda p: len(p.split()), default=head)


def _phrases(vertical: str, head: str, terms: CatalogTerms, asked: set[str]) -> list[str]:
    return [p for p, _ in terms.phrases(vertical, head) if not set(p.split()) <= asked][:2]


def for_module(module: Module, terms: CatalogTerms, asked: set[str]) -> list[str]:
    """Suggestions grounded in one module: its topic's head and its items' facets."""
    items = module.items
    head = _head(module.vertical, topic_nouns(module.subquery, terms), terms)
    out: list[str] = []
    if module.vertical == "ideas":
        if head is None:
            return [f"{c} recipes" for c in _top((i.category or "" for i in items), asked)]
        noun = _named("ideas", head, module.subquery, terms)
        out += [recipes(f"{d} {noun}") for d in _top((d for i in items for d in i.diet), asked)]
        out += [recipes(p) for p in _phrases("ideas", head, terms, asked)]
        if "minutes" not in asked and any((i.total_time_min or 99) <= 30 for i in items):
            out.append(f"{head} ready in under 30 minutes")
    elif module.vertical == "shopping":
        if head is None:
            leaves = (i.category.split(">")[-1].strip() for i in items if i.category)
            return _top(leaves, asked)
        noun = _named("shopping", head, module.subquery, terms)
        out += [f"{c} {noun}" for c in _top((c for i in items for c in i.colors), asked)]
        out += _phrases("shopping", head, terms, asked)
        prices = sorted(i.price for i in items if i.price is not None)
        if len(prices) >= 2 and "under" not in asked:
            out.append(f"{noun} under ${int(prices[len(prices) // 2]) + 1}")
    elif module.vertical == "video":
        genres = _top((g for i in items for g in i.genre), asked)
        out += [f"{g} movies" for g in genres]
        if genres:
            years = [i.year for i in items if i.year and genres[0] in (g.lower() for g in i.genre)]
            decade = Counter(y // 10 * 10 for y in years).most_common(1)
            if decade and f"{decade[0][0]}s" not in asked:
                out.append(f"{genres[0]} movies from the {decade[0][0]}s")
    return out


def for_topic(text: str, terms: CatalogTerms, facets: FacetVocabulary) -> list[str]:
    """Suggestions from the request's own nouns, for intents the page could not show."""
    asked: set[str] = set()
    decade = _DECADE.search(text.lower())
    out: list[str] = []
    for noun in topic_nouns(text, terms):
        ideas, shop = terms.head("ideas", noun), terms.head("shopping", noun)
        if ideas:
            phrases = _phrases("ideas", ideas[0], terms, asked)
            out += [recipes(ideas[0]), *(recipes(p) for p in phrases)]
        if shop:
            out += [shop[0], *_phrases("shopping", shop[0], terms, asked)]
        if facets.idea_categories.get(noun, 0) >= MIN_SUPPORT:
            out.append(f"{noun} recipes")
        if facets.genres.get(noun, 0) >= MIN_SUPPORT:
            out.append(f"{noun} movies")
            span = terms.genre_decades.get(noun, {})
            if decade and span.get(int(decade.group(1)) * 10, 0) >= MIN_SUPPORT:
                out.insert(len(out) - 1, f"{noun} movies from the {decade.group(1)}0s")
    return out


def popular(facets: FacetVocabulary, n: int = 2) -> list[str]:
    """The catalog's biggest recipe categories, film genres and product categories."""

    def top(table: dict[str, int]) -> list[str]:
        return [v.lower() for v in sorted(table, key=lambda v: -table[v])[:n]]

    return [
        *(f"{c} recipes" for c in top(facets.idea_categories)),
        *(f"{g} movies" for g in top(facets.genres)),
        *top(facets.categories),
    ]


def interleave(groups: list[list[str]], query: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Round-robin over the groups, without repeats or the query itself."""
    seen = {" ".join(query.lower().split())}
    out: list[str] = []
    for text in _rounds(groups):
        text = " ".join(text.split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out[:limit]


def _rounds(groups: list[list[str]]) -> Iterator[str]:
    for round_ in range(max((len(g) for g in groups), default=0)):
        for group in groups:
            if round_ < len(group):
                yield group[round_]


def related_searches(
    modules: list[Module], topics: list[str], query: str, terms: CatalogTerms,
    facets: FacetVocabulary, *, missing: bool = False,
) -> list[str]:  # fmt: skip
    """Up to `MAX_SUGGESTIONS`: the modules' first, then (when an intent found nothing,
    `missing`) the request's own nouns, then the catalog's biggest categories."""
    asked = set(query.lower().split())
    groups = [for_module(m, terms, asked)[:PER_SOURCE] for m in modules]
    if missing or not modules:
        groups += [for_topic(t, terms, facets)[: PER_SOURCE + 1] for t in topics]
    found = interleave(groups, query)
    if not modules and len(found) < MAX_SUGGESTIONS // 2:
        found = interleave([found + popular(facets)], query, MAX_SUGGESTIONS // 2 + len(found))
    return found


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
