"""Slips onto words the catalog knows: a rare title word for a common one, a word that
does not fit its neighbour; and the plurals, titles and common words that stay."""

from __future__ import annotations

import pytest

from agent.understand.spelling import Speller
from agent.understand.words import CatalogWords
from tools.catalog import Vertical
from tools.facets import FacetVocabulary

TITLES: dict[Vertical, list[str]] = {
    "video": [
        "Nosferatu the Vampyre",
        "Vampyre Circus",
        "Chocolat",
        "Chocolat",
        "Chocolat",
        "Zombi 2",
        *[f"Vampire Tale {n}" for n in range(12)],
        *[f"Zombie Night {n}" for n in range(6)],
        "Charlie and the Chocolate Factory",
        "Lamb",
    ],
    "ideas": [
        *[f"Chocolate Cake {n}" for n in range(10)],
        *[f"Lamb Curry {n}" for n in range(4)],
    ],
    "shopping": [
        *[f"Desk Lamp — {c} {n}" for c in ("black", "white", "silver") for n in range(4)],
        *[f"Office Chair — {c}" for c in ("black", "white", "grey", "blue", "red", "mesh")],
    ],
}


class _Index:
    version = 1

    def titles(self, vertical: Vertical) -> list[str]:
        return TITLES[vertical]

    def facets(self) -> FacetVocabulary:
        return FacetVocabulary(genres={"horror": 4})


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CatalogWords.from_index(_Index()))


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("vampyre films", "vampire films"),
        ("zombi movies", "zombie movies"),
        ("chocolat cake", "chocolate cake"),
        ("desk lamb for my office", "desk lamp for my office"),
    ],
)
def test_a_slip_onto_a_known_word_is_corrected(speller: Speller, typed: str, fixed: str) -> None:
    assert speller.correct(typed) == fixed


@pytest.mark.parametrize(
    "typed",
    [
        "chocolat movie",
        "vampyre circus",
        "lamb curry",
        "office chairs",
        "office chair",
    ],
)
def test_titles_fitting_words_and_plurals_stay(speller: Speller, typed: str) -> None:
    assert speller.correct(typed) == typed


def test_rarity_is_counted_in_the_vertical_the_request_names() -> None:
    words = CatalogWords.from_index(_Index())
    assert words.by_vertical["video"]["chocolat"] == 3
    assert words.by_vertical["ideas"]["chocolate"] == 10
    assert words.by_vertical["video"]["chocolate"] == 1


def test_the_speller_corrects_product_queries_against_titles_alone() -> None:
    titles = ["Toilet seat", "Toilet paper holder", "Vinyl flooring"] * 3
    speller = Speller(CatalogWords.from_texts(titles))
    assert speller.correct("toliet seat") == "toilet seat"
    assert speller.correct("vnyl floring") == "vinyl flooring"
    assert speller.correct("12 in. xyzzy") == "12 in. xyzzy"
