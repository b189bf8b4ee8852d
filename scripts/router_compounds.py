"""Things to buy that start with a food word, as training texts for the router.

"a salad bowl", "a roasting pan" and "a lunch bag" name things to buy although a food
word leads them; "chicken pot pie", "sheet pan chicken" and "cake in a mug" are still
dishes. The router learns the difference from compounds made here:

- food words from the catalog's recipes (the head word of each recipe title, and the
  recipe categories), crossed with nouns that name objects: the head words of the
  catalog's product titles and its product categories, plus the containers, tools,
  appliances, textiles and bags of a kitchen (`OBJECT_NOUNS`), and with words that say
  what an object is for ('a mixing bowl', 'a frying pan', 'a stock pot': `USES`);
- against them, the same food words as dishes ('salad', 'apple pie', a food word led by
  another), the catalog's recipe titles that hold an object noun, and recipes cooked
  "in a" named object: the last noun, not the first, says what is asked for.

`OBJECT_NOUNS` leaves some common kitchen nouns out on purpose ("ladle", "tin",
"stone", "press", "towel", "glass", "cutter"), so the product-noun routing set measures
whether the router generalises to nouns it never saw.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

Example = tuple[str, frozenset[str]]

# fmt: off
OBJECT_NOUNS = (
    "bowl", "bowls", "pan", "pot", "dish", "jar", "tray", "mold", "mixer", "blender", "cooker",
    "iron", "grater", "peeler", "slicer", "knife", "board", "rack", "container", "canister",
    "bag", "box", "basket", "kettle", "maker", "machine", "grinder", "scale", "thermometer",
    "timer", "spoon", "whisk", "spatula", "tongs", "strainer", "colander", "skillet", "griddle",
    "wok", "pitcher", "carafe", "mug", "cup", "plate", "platter", "apron", "mat", "napkins",
    "tablecloth", "oven mitt", "toaster", "fryer", "dehydrator", "steamer", "processor",
    "juicer", "warmer", "cooler", "lunchbox", "tote", "lid", "holder", "stand", "bottle",
    "dispenser", "rolling pin", "brush", "keeper", "crock", "saucepan", "stockpot", 
    "ramekin", "scoop", "shaker", "mill", "opener", "sprayer", "skewers", "cutting board",
)
# fmt: on
STOP = frozenset(
    "a an the and or of in on with for to from my your easy best quick classic homemade "
    "simple i ii iii iv my mom's grandma's style".split()
)
USES = (
    "mixing",
    "frying",
    "serving",
    "baking",
    "roasting",
    "cutting",
    "measuring",
    "cooking",
    "storage",
    "stock",
    "soup",
    "sauce",
    "sheet",
    "salad",
    "pasta",
    "cake",
    "pie",
    "bread",
)
"""Words that say what an object is for ('a mixing bowl', 'a frying pan', 'a stock pot')."""
MATERIALS = ("ceramic", "glass", "stainless steel", "wooden", "cast iron", "bamboo", "enamel")
COLORS = ("black", "white", "red", "blue", "green", "gray")
SHOP_FORMS = (
    "{f} {n}", "a {f} {n}", "{f} {n}s", "buy a {f} {n}", "{m} {f} {n}", "{f} {n} under ${p}",
    "best {f} {n}", "a {n} for {f}", "{f} {n} for the kitchen", "cheap {f} {n}",
    "{c} {f} {n}", "a new {f} {n}", "{f} {n} gift", "large {f} {n}", "{f} {n} set",
    "{u} {n}", "a {u} {n}", "a {u} {n} for {f}", "{u} {n} for {f}", "a {m} {u} {n}",
    "a {f} {n} with a lid", "a {n} to make {f}", "a {n} for making {f}", "{u} {n} set",
)  # fmt: skip
FOOD_FORMS = (
    "{f}", "a {f}", "{g} {f}", "{f} recipe", "homemade {g} {f}", "easy {f}", "a {g} {f}",
    "{g} {f} for dinner", "{f} with {g}",
)  # fmt: skip
COOK_FORMS = (
    "{f} in a {n}", "how to make {f} in a {n}", "{f} cooked in a {n}", "{n} {f} recipe",
    "easy {f} in the {n}",
)  # fmt: skip
_HEAD = re.compile(r"\s[—–-]\s|,|\(")
_WORD = re.compile(r"[a-z][a-z'\-]+")


def _words(title: str) -> list[str]:
    return _WORD.findall(_HEAD.split(title.lower())[0])


def vocabulary(db: Path) -> tuple[list[str], list[str], list[str]]:
    """Food words, object nouns and recipe titles holding an object noun, from `db`."""
    foods: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    recipes: list[str] = []
    objects = set(OBJECT_NOUNS)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for vertical, text in conn.execute("SELECT vertical, json FROM items"):
            item = json.loads(text)
            words = _words(str(item["title"]))
            if not words:
                continue
            if vertical == "ideas":
                foods[words[-1]] += 1
                foods.update(t for t in map(str, item.get("tags") or []) if " " not in t)
                if objects.intersection(words):
                    recipes.append(" ".join(words))
            elif vertical == "shopping":
                heads[words[-1]] += 1
                path = [str(p).lower() for p in item.get("category_path") or []]
                heads.update(p for p in path[-1:] if " " not in p)
    finally:
        conn.close()
    nouns = sorted(objects | {h for h, n in heads.items() if n >= 3 and len(h) > 3} - set(COLORS))
    food = sorted(
        w for w, n in foods.items() if n >= 3 and w not in STOP and w not in objects and len(w) > 2
    )
    return food, nouns, sorted(set(recipes))


def compound_examples(db: Path, rng: random.Random, n: int) -> list[Example]:
    """`n` product compounds (shopping) and about `n` dishes (ideas) over the same words."""
    food, nouns, recipes = vocabulary(db)
    kitchen = [x for x in OBJECT_NOUNS if " " not in x]
    shop, cook = frozenset({"shopping"}), frozenset({"ideas"})
    out: list[Example] = []
    for i in range(n):
        noun = rng.choice(kitchen if i % 2 else nouns)
        text = rng.choice(SHOP_FORMS).format(
            f=rng.choice(food), n=noun, m=rng.choice(MATERIALS), c=rng.choice(COLORS),
            p=rng.choice([15, 25, 40, 60, 100]), u=rng.choice(USES),
        )  # fmt: skip
        out.append((" ".join(text.split()), shop))
    for _ in range(n * 2 // 3):
        text = rng.choice(FOOD_FORMS).format(f=rng.choice(food), g=rng.choice(food))
        out.append((text, cook))
    for _ in range(n // 6):
        out.append((rng.choice(COOK_FORMS).format(f=rng.choice(food), n=rng.choice(kitchen)), cook))
    for title in rng.sample(recipes, min(len(recipes), n // 6)):
        out.append((rng.choice(("{t}", "{t} recipe", "how to make {t}")).format(t=title), cook))
    return out
