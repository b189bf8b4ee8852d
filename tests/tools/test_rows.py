"""What the dense side embeds: the item's text in order of meaning, each value said once."""

from __future__ import annotations

from tools.catalog import Idea, Product, Video
from tools.rows import EMBED_TOKENS, _tokenizer, build_row, dense_text, embed_text


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
    assert text.startswith("Lentil soup. Soups, recipe, vegan. Ingredients: red lentils")


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
    assert text == "First Descent. documentary, sports. Directed by Kemp Curly; starring " + (
        "Shaun White.. english"
    )
    product = Product(id="p1", title="Desk lamp", brand="Lumo", category_path=["Home", "Lighting"])
    assert build_row(product).embed_text == "Desk lamp. Lighting, Home. Lumo"


def test_what_kind_of_thing_it_is_comes_before_the_description() -> None:
    """The encoder reads only the first EMBED_TOKENS tokens: a long description must not
    push the genre out of them."""
    film = Video(id="v2", title="Alien", description="A crew " * 200, genre=["horror"])
    assert build_row(film).embed_text.startswith("Alien. horror. A crew")


def test_a_bare_title_is_embedded_as_it_is() -> None:
    assert embed_text("Tea", ["tea"], "", ["", "tea"]) == "Tea"


def test_a_described_item_is_read_up_to_the_budget_a_bare_document_in_full() -> None:
    film = Video(
        id="v3",
        title="Citizenfour",
        description="Directed by Laura Poitras; starring Edward Snowden, Glenn Greenwald.",
        genre=["documentary"],
    )
    text = build_row(film).dense_text
    assert text.startswith("Citizenfour. documentary. Directed by")
    assert len(_tokenizer().encode(text).ids) <= EMBED_TOKENS
    assert build_row(film).embed_text.endswith("Glenn Greenwald.")
    abstract = "An experimental study of a wing in a propeller slipstream was made. " * 5
    paper = Idea(id="c1", title="Slipstream", description=abstract, kind="document")
    assert build_row(paper).dense_text == build_row(paper).embed_text


def test_the_cut_falls_between_words() -> None:
    text = "Microwave. appliances. Whirlpool convection microwave oven in stainless steel"
    cut = dense_text(text, described=True, budget=8)
    assert text.startswith(cut) and cut.split()[-1] in text.split()
    assert dense_text("Tea", described=True, budget=8) == "Tea"
