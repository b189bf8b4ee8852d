"""Spelling correction against a catalog's own words: what changes and what never does."""

from __future__ import annotations

import pytest

from agent.understand.speller_cache import SpellerCache
from agent.understand.spelling import Speller
from agent.understand.words import CatalogWords
from tools.catalog import Vertical
from tools.facets import FacetVocabulary

TITLES = [
    "Basic Lasagna",
    "Vegetable Lasagna",
    "Chocolate Chip Cookies",
    "Oatmeal Chocolate Cookies",
    "Coffee Maker — black, 4 cups",
    "Coffee Maker — white, drip",
    "Laptop — 13-inch, i7",
    "Laptop — 15-inch, i5",
    "Laptop — 17-inch",
    "Backpack — black, laptop",
    "Laptop Stand",
    "Yoga Mat — 4mm, PVC",
    "Yoga Mat — 6mm, TPE",
    *["Yamat Rug"] * 5,
    "Toy Story",
    "Toy Story 2",
    "Headphones — over-ear, wired",
    "Headphones — in-ear, wireless",
    "Harry Potter and the Goblet of Fire",
    "Harry Potter and the Chamber of Secrets",
    "Power Rangers",
    "Power Drill Stand",
    "Power Strip",
    "Sony Bravia TV",
]
FACETS = {"sony": 3, "office supplies": 40, "comedy": 30}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CatalogWords.from_texts(TITLES, FACETS))


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("lazagna", "lasagna"),
        ("Lazagna recipes", "Lasagna recipes"),
        ("choclate chip cookies", "chocolate chip cookies"),
        ("blutooth headfones", "blutooth headphones"),
        ("lasagna recipies", "lasagna recipes"),
        ("harry poter", "harry potter"),
    ],
)
def test_unknown_words_become_the_catalogs_nearest(
    speller: Speller, typed: str, fixed: str
) -> None:
    assert speller.correct(typed) == fixed


def test_compounds_are_split_and_joined_as_the_catalog_writes_them(speller: Speller) -> None:
    assert speller.correct("coffeemaker") == "coffee maker"
    assert speller.correct("lap top bag") == "laptop bag"
    assert speller.correct("ya mat") == "ya mat"


def test_a_common_english_word_changes_only_to_make_a_catalog_pair(speller: Speller) -> None:
    assert speller.correct("toy storey") == "toy story"
    assert speller.correct("yoga matt") == "yoga mat"
    assert speller.correct("matt damon films") == "matt damon films"


@pytest.mark.parametrize(
    "typed",
    [
        "power rangers",
        "sony tv under $300",
        "laptop 16gb 512gb",
        "yoga mat 6mm",
        "comedy from the 1990s",
        "T-Shrit in XXL",
        "BRAVIAA remote",
        "lsgn",
        "office supplies",
    ],
)
def test_known_words_numbers_units_codes_and_capitals_stay(speller: Speller, typed: str) -> None:
    assert speller.correct(typed) == typed


def test_an_ambiguous_slip_is_left_alone() -> None:
    speller = Speller(CatalogWords.from_texts(["Carton", "Cartoon"] * 3))
    assert speller.correct("cartown box") == "cartown box"


def test_a_short_word_only_regains_a_letter_or_unswaps_two() -> None:
    speller = Speller(CatalogWords.from_texts(["Copy Paper", "Men Shoes", "Pizza", "Chair"] * 3))
    assert speller.correct("cozy moen") == "cozy moen"
    assert speller.correct("piza chiar") == "pizza chair"


def test_the_first_letter_is_kept() -> None:
    speller = Speller(CatalogWords.from_texts(["Michael Myers"] * 3))
    assert speller.correct("car tyers") == "car tyers"


def test_catalog_words_count_titles_and_facet_values() -> None:
    words = CatalogWords.from_texts(["Coffee Maker — black", "Coffee Cake"], {"coffee maker": 5})
    assert words.words["coffee"] == 7
    assert words.pairs[("coffee", "maker")] == 6
    assert "coffe" in words.stems


class _Source:
    def __init__(self, titles: list[str]) -> None:
        self.version = 1
        self.built = 0
        self._titles = titles

    def titles(self, vertical: Vertical) -> list[str]:
        self.built += vertical == "ideas"
        return self._titles if vertical == "ideas" else []

    def facets(self) -> FacetVocabulary:
        return FacetVocabulary(genres={"comedy": 4})


def test_one_speller_per_index_version() -> None:
    source = _Source(["Basic Lasagna"])
    cache = SpellerCache()
    assert cache.ready(source) is None
    first = cache.get(source)
    assert cache.get(source) is first and cache.ready(source) is first and source.built == 1
    assert first.correct("lazagna comdey") == "lasagna comedy"
    source.version = 2
    source._titles = ["Basic Lasagna", "Tiramisu"]
    assert cache.ready(source) is None
    assert cache.get(source).correct("tiramisru") == "tiramisu" and source.built == 2


def test_warming_builds_in_the_background() -> None:
    source = _Source(["Basic Lasagna"])
    cache = SpellerCache()
    cache.warm(source).join(timeout=30)
    assert cache.ready(source) is not None


def test_the_reader_reads_the_corrected_text(speller: Speller) -> None:
    from agent.models import Spelling
    from agent.understand.reader import understand

    understood = understand("lazagna recipies", FacetVocabulary(), speller=speller)
    assert understood.spelling == Spelling(original="lazagna recipies", corrected="lasagna recipes")
    assert understood.text == "lasagna recipes"
    assert [s.topic for s in understood.segments] == ["lasagna"]
    assert understand("lazagna", FacetVocabulary()).spelling is None
    assert understand("lasagna", FacetVocabulary(), speller=speller).spelling is None


def test_the_words_of_an_amount_stay() -> None:
    speller = Speller(CatalogWords.from_texts(["Minds and Brains", "Pasta Bake"] * 3))
    assert speller.correct("pasta under 20 mins") == "pasta under 20 mins"
    assert speller.correct("pasta bkae under 20 mins") == "pasta bake under 20 mins"
