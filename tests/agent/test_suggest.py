"""Related searches, titles and reasons in a shopper's words, from the catalog's nouns."""

from __future__ import annotations

from agent.models import Module, ResultItem
from agent.nodes.compose import reason_for
from agent.suggest import TEMPLATE_WORDS, for_topic, related_searches
from agent.understand.titles import title_for, topic_phrase
from tools.contract import SubQuery
from tools.facets import FacetVocabulary
from tools.terms import build_terms

TITLES = [
    *(("ideas", t) for t in ["Banana Pancakes", "Banana Pancakes II", "Corn Pancakes",
                             "Fried Banana", "Baked Banana", "Pea Soup", "Pea Soup II",
                             "Mushy Pea", "Green Pea", "Tomato Soup"]),
    *(("shopping", t) for t in ["Mesh Office Chair", "Leather Office Chair", "Home Office",
                                "Back Office", "Camping Tent — 4-person", "Dome Tent"]),
]  # fmt: skip
FACETS = FacetVocabulary(
    genres={"war": 40, "drama": 90}, idea_categories={"breakfast": 5, "soup": 9},
    categories={"chairs": 4}, colors={"black": 3}, diets={"vegan": 4},
)  # fmt: skip
TERMS = build_terms(TITLES, FACETS, [("war", 1974)] * 3)


def words_ok(text: str) -> bool:
    return all(
        w in TEMPLATE_WORDS or w.strip("$s").isdigit() or TERMS.is_noun(w) for w in text.split()
    )


def test_leftover_words_never_become_suggestions() -> None:
    for query in ["how to make pancakes", "easy dinners for a busy week",
                  "classic 1970s war films", "first camping trip"]:  # fmt: skip
        found = related_searches([], [query], query, TERMS, FACETS)
        assert found, query
        assert all(words_ok(s) for s in found), (query, found)
        for leftover in ("how", "make", "busy", "week", "classic", "first", "trip", "1970"):
            assert not any(leftover in s.split() for s in found), (query, found)


def test_the_request_topic_leads_the_suggestions() -> None:
    assert for_topic("how to make pancakes", TERMS, FACETS)[:2] == ["pancakes", "banana pancakes"]
    page = related_searches([], ["how to make pancakes"], "how to make pancakes", TERMS, FACETS)
    assert page[:2] == ["pancakes", "banana pancakes"] and "soup recipes" in page
    war = for_topic("classic 1970s war films", TERMS, FACETS)
    assert war == ["war movies from the 1970s", "war movies"]
    assert for_topic("first camping trip", TERMS, FACETS) == []  # no noun: the catalog fills in


def test_module_suggestions_pair_its_head_with_attested_modifiers() -> None:
    items = [ResultItem(id="i", vertical="ideas", title="Pea Soup", score=1.0, diet=["vegan"])]
    module = Module(id="q1", title="t", vertical="ideas", reason="", subquery="soup",
                    items=items)  # fmt: skip
    found = related_searches([module], ["soup"], "soup", TERMS, FACETS)
    assert found == ["vegan soup recipes", "pea soup recipes"]


def test_a_modifier_qualifies_the_catalog_phrase_the_request_names() -> None:
    items = [
        ResultItem(id=f"c{p}", vertical="shopping", title="Mesh Office Chair", score=1.0,
                   colors=["black"], price=float(p))
        for p in (80, 120)
    ]  # fmt: skip
    module = Module(id="q1", title="t", vertical="shopping", reason="",
                    subquery="a comfy office chair", items=items)  # fmt: skip
    found = related_searches([module], ["a comfy office chair"], "a comfy office chair",
                             TERMS, FACETS)  # fmt: skip
    assert "black office chair" in found and "office chair under $121" in found
    assert not any(s.startswith(("black chair", "chair under")) for s in found), found


def test_titles_name_the_topic_not_the_filler() -> None:
    assert topic_phrase("Pancake breakfast for family") == "Pancake breakfast"
    assert topic_phrase("how to make pancakes", TERMS, "ideas") == "pancakes"
    assert topic_phrase("mesh office chair", TERMS, "shopping") == "mesh office chair"
    sq = SubQuery(id="q1", text="how to make pancakes for my family", tool="search_ideas")
    assert title_for(sq, TERMS) == "Pancakes ideas"


def test_reasons_are_plain_words_without_router_talk() -> None:
    guessed = SubQuery(id="q1", text="pancakes", tool="search_ideas", weight=0.6)
    assert reason_for(guessed) == "Ideas and recipes for \u201cpancakes\u201d"
    relaxed = SubQuery(id="q1", text="chair", tool="search_products", relaxed=["without red"])
    assert reason_for(relaxed).startswith("Products for \u201cchair\u201d. Few exact matches")
    assert "vertical" not in reason_for(guessed) + reason_for(relaxed)


def test_a_module_without_a_known_head_suggests_its_categories() -> None:
    items = [ResultItem(id="p", vertical="shopping", title="Zorb", score=1.0,
                        category="Sports > Balls")]  # fmt: skip
    module = Module(id="q1", title="t", vertical="shopping", reason="", subquery="zorb",
                    items=items)  # fmt: skip
    assert related_searches([module], ["zorb"], "zorb", TERMS, FACETS) == ["balls"]
