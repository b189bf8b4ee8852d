"""The catalog's nouns: title heads, the phrases ending in them, facet words."""

from __future__ import annotations

from tools.facets import FacetVocabulary
from tools.terms import build_terms, stem, title_core

TITLES = [
    ("ideas", "Banana Pancakes"),
    ("ideas", "Banana Pancakes II"),
    ("ideas", "Corn Pancakes (Arepa)"),
    ("ideas", "Fried Banana"),
    ("ideas", "Baked Banana"),
    ("ideas", "Banana Bread"),
    ("ideas", "Easy Chicken Curry"),
    ("shopping", "Office Chair — mesh, black"),
    ("shopping", "Executive Office Chair"),
    ("shopping", "Xerox 1965"),
    ("video", "How to Train Your Dragon"),
]
FACETS = FacetVocabulary(genres={"war": 3}, brands={"xerox": 1}, diets={"vegan": 2})


def test_heads_and_phrases_come_from_titles() -> None:
    terms = build_terms(TITLES, FACETS)
    assert terms.head("ideas", "pancake") == ("pancakes", 3)
    assert terms.head("ideas", "bread") is None  # one title is not enough
    assert terms.phrases("ideas", "pancakes") == [("banana pancakes", 2)]
    assert terms.head("shopping", "chairs") == ("chair", 2)
    assert terms.phrases("shopping", "chair") == []  # 'office' heads no title
    assert terms.head("shopping", "xerox") is None  # a brand is not a head


def test_nouns_are_heads_and_facet_words_never_filler() -> None:
    terms = build_terms(TITLES, FACETS, [("War", 1975), ("War", 1978)])
    assert terms.is_noun("banana") and terms.is_noun("war") and terms.is_noun("vegan")
    assert not any(terms.is_noun(w) for w in ("how", "first", "easy", "week", "1970"))
    assert terms.genre_decades["war"] == {1970: 2}
    assert terms.knows("video", "how") and not terms.knows("ideas", "how")


def test_title_core_and_stem() -> None:
    assert title_core("Appam (Fermented Rice Pancake) II") == ["appam"]
    assert title_core("Chocolate Chip Pancakes II") == ["chocolate", "chip", "pancakes"]
    assert [stem(w) for w in ("pancakes", "berries", "dishes", "glass", "couscous")] == [
        "pancake", "berry", "dish", "glass", "couscous",
    ]  # fmt: skip
