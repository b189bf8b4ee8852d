"""Diet labels from the whole recipe: ingredient blocks, substitutes, title and steps."""

from __future__ import annotations

import pytest

from tools.diet import diet_evidence, infer_diet
from tools.ingredients import (
    IngredientSection,
    group_references,
    ingredient_lines,
    ingredient_sections,
    missing_groups,
)
from tools.sources.recipes import recipe_from_entry

PHO_GA_WIKITEXT = """=== Seasoning pouch ===
* 1 tsp fennel seed
* 3 whole star anise
* ½ stick cinnamon
=== Soup ===
* 1 whole chicken (about 3 lb)
* 1 onion, halved and charred
* 2 tbsp fish sauce
=== Serving ===
* 1 lb dried pho noodles
* bean sprouts, lime wedges and Thai basil
"""
PHO_GA_STEPS = [
    "Combine ingredients for seasoning pouch in a small strainer or a pouch made from cheesecloth.",
    "In a large stock pot, boil soup ingredients together with seasoning pouch until the chicken"
    " is thoroughly cooked",
    "Remove the chicken and strain broth back into the pot for additional simmering.",
    "Once the noodles have drained, add them to a bowl. Combine the chicken, serving ingredients,"
    " and enough broth to cover the noodles.",
]
VEGAN = ["vegetarian", "vegan"]
VEGETARIAN = ["vegetarian"]


def test_every_wikitext_block_is_read_in_order() -> None:
    sections = ingredient_sections(PHO_GA_WIKITEXT)
    assert [s.name for s in sections] == ["Seasoning pouch", "Soup", "Serving"]
    assert sections[1].lines[0] == "1 whole chicken (about 3 lb)"
    assert len(ingredient_lines(PHO_GA_WIKITEXT)) == 8


@pytest.mark.parametrize(
    "raw",
    [
        {"Seasoning pouch": ["1 tsp fennel seed"], "Soup": ["1 whole chicken"]},
        [{"section": "Seasoning pouch", "items": ["1 tsp fennel seed"]},
         {"section": "Soup", "items": ["1 whole chicken"]}],
        ["Seasoning pouch:", "1 tsp fennel seed", "For the soup", "1 whole chicken"],
        [["1 tsp fennel seed"], ["1 whole chicken"]],
    ],
)  # fmt: skip
def test_blocks_in_other_shapes_keep_every_line(raw: object) -> None:
    assert ingredient_lines(raw) == ["1 tsp fennel seed", "1 whole chicken"]


def test_header_lines_name_blocks_and_are_not_ingredients() -> None:
    sections = ingredient_sections(["2 cups flour", "Optional:", "1 cup raisins"])
    assert [(s.name, s.lines) for s in sections] == [
        (None, ["2 cups flour"]),
        ("Optional", ["1 cup raisins"]),
    ]


def test_the_full_pho_ga_source_is_not_vegetarian() -> None:
    idea = recipe_from_entry(
        "Cookbook:Phở Gà (Vietnamese Chicken Noodle Soup)",
        {"ingredients": ingredient_lines(PHO_GA_WIKITEXT), "steps": PHO_GA_STEPS},
    )
    assert "1 whole chicken (about 3 lb)" in idea.ingredients
    assert idea.diet == []
    assert "vegan" not in idea.tags and "vegetarian" not in idea.tags


def test_the_first_block_alone_no_longer_makes_pho_ga_vegan() -> None:
    first_block = ingredient_sections(PHO_GA_WIKITEXT)[0].lines
    evidence = diet_evidence("Phở Gà (Vietnamese Chicken Noodle Soup)", first_block, PHO_GA_STEPS)
    assert evidence.labels == []
    assert {hit.where for hit in evidence.of("meat")} >= {"title", "step 2", "step 3", "step 4"}


def test_steps_naming_groups_the_list_lacks_make_the_evidence_unclear() -> None:
    first_block = [IngredientSection(name=None, lines=["1 tsp fennel seed"])]
    assert group_references(PHO_GA_STEPS) == {"seasoning", "soup", "serving"}
    assert missing_groups(first_block, PHO_GA_STEPS) == {"seasoning", "soup", "serving"}
    steps = ["Simmer the soup ingredients.", "Add the serving ingredients."]
    evidence = diet_evidence("Noodle Soup", ["1 tsp fennel seed"], steps)
    assert evidence.labels == [] and not evidence.hits
    assert "serving, soup" in evidence.notes[0]


def test_generic_ingredient_words_are_not_groups() -> None:
    steps = ["Mix the dry ingredients.", "Add the remaining ingredients and all ingredients."]
    assert group_references(steps) == set()


@pytest.mark.parametrize(
    ("title", "ingredients", "steps", "diet"),
    [
        ("Curry", ["400 ml coconut milk"], ["Stir in the milk."], VEGAN),
        ("Satay", ["4 tbsp peanut butter"], ["Whisk the butter with lime."], VEGAN),
        ("Stir-fry", ["200 g seitan chicken"], ["Fry the chicken until golden."], VEGAN),
        ("Supper", ["4 vegan sausages"], ["Brown the sausages."], VEGAN),
        ("Tofu Bacon (Vegan)", ["1 block tofu"], ["Slice thin, like traditional bacon."], VEGAN),
        ("Soup", ["1 l vegetable stock"], ["Bring the stock to a boil."], VEGAN),
        ("Seitan", ["gluten flour"], ["Use it in place of meat in stews."], VEGAN),
        ("Ground Tofu", ["tofu"], ["It browns less than the colour of ground beef."], VEGAN),
        ("Coconut Stew", ["1 grated coconut"], ["Squeeze out the milk.", "Add the milk."], VEGAN),
        ("Kal Kals", ["flour"], ["Roll into snail-shell-like curls."], VEGAN),
        ("Rice", ["rice"], ["Cook.", "Serve with grilled fish or chicken."], VEGAN),
        ("Cookies", ["1 cup margarine"], ["Cream the margarine and sugar together."], VEGAN),
        ("Omelette", ["2 quail eggs"], ["Whisk."], VEGETARIAN),
        ("Curry", ["1 cup milk or soy milk"], ["Add the milk."], VEGETARIAN),
        ("Toast", ["bread", "peanut butter", "1 tbsp butter"], ["Spread."], VEGETARIAN),
        ("Flatbread", ["flour", "yeast"], ["Fry the bacon.", "Dot with the bacon."], []),
        ("Island Ceviche", ["lime", "7 oz mahi-mahi fillet"], ["Add fish."], []),
        ("Steak Rub", ["paprika", "salt"], ["Mix."], []),
        ("Fried Rice", ["rice"], ["If using meat, slice and cook it.", "Serve."], []),
        ("Soup", ["carrots"], ["Add the stock."], []),
        ("Pizza", ["dough"], ["Add toppings such as sausage.", "Bake.", "Serve."], []),
        ("Stew", ["beans"], ["Wash the beef and cook until tender.", "Add beans.", "Serve."], []),
    ],
)
def test_diet_reads_title_ingredients_and_steps(
    title: str, ingredients: list[str], steps: list[str], diet: list[str]
) -> None:
    assert infer_diet(ingredients, title, steps) == diet


def test_substitutes_do_not_excuse_other_lines() -> None:
    evidence = diet_evidence("Buckeyes", ["1 cup peanut butter", "2 tbsp melted butter"], [])
    assert [(hit.where, hit.term) for hit in evidence.of("animal")] == [("ingredient 2", "butter")]


def test_evidence_lines_say_where_and_quote_the_text() -> None:
    evidence = diet_evidence("Ofe Aku", ["palm nut"], ["Wash the beef and cook with onion."])
    [hit] = evidence.of("meat")
    assert hit.line() == 'step 1: "beef" in "Wash the beef and cook with onion."'
