"""What the dense side embeds: the item's text, with each tag and field value said once."""

from __future__ import annotations

from tools.catalog import Idea, Product, Video
from tools.rows import build_row, embed_text


def test_values_the_text_already_says_are_not_repeated() -> None:
    idea = Idea(
        id="r1",
        title="Lentil soup",
        description="Ingredients: red lentils, carrots, cumin. Simmer for 30 minutes.",
        ingredients=["red lentils", "carrots", "cumin"],
        tags=["soup", "vegan"],
        diet=["vegan"],
        category="Soups",
        kind="recipe",
    )
    text = build_row(idea).embed_text
    assert text.count("lentils") == 1
    assert text.count("carrots") == 1 and text.count("vegan") == 1
    assert text.startswith("Lentil soup. Ingredients: red lentils")
    assert "recipe" in text


def test_every_new_word_is_kept() -> None:
    film = Video(
        id="v1",
        title="First Descent",
        description="Directed by Kemp Curly; starring Shaun White.",
        tags=["documentary", "english"],
        creator="Kemp Curly",
        genre=["documentary", "sports"],
    )
    text = build_row(film).embed_text
    assert text == "First Descent. Directed by Kemp Curly; starring Shaun White.. " + (
        "documentary, english, sports"
    )
    product = Product(id="p1", title="Desk lamp", brand="Lumo", category_path=["Lighting"])
    assert build_row(product).embed_text == "Desk lamp. Lumo, Lighting"


def test_a_bare_title_is_embedded_as_it_is() -> None:
    assert embed_text("Tea", "", ["", "tea"]) == "Tea"
