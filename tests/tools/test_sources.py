"""Starter sources: parsing helpers on hand-made inputs, then small real slices."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from tools.catalog import Idea, Product, Video
from tools.sources import movies, recipes, retail, superstore
from tools.sources.locate import (
    RowRejected,
    SourceReport,
    SourceUnavailable,
    package_dir,
    package_version,
    superstore_csv,
)
from tools.starter import build_starter

# --- recipes: time, servings, diet, category -------------------------------------------


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [
        ("8 h, 10 minutes", 490),
        ("1 hour 20 minutes", 80),
        ("½ hour", 30),
        ("1 &frac12; hours", 90),
        ("1–1½ hours", 90),
        ("15–20 minutes", 20),
        ("10 to 12 minutes", 12),
        ("45 minutes to an hour", 60),
        ("About an hour", 60),
        ("1/2 hour + baking time", 30),
        ("60+ minutes", 60),
        ("⅛ hour", 8),
        ("Prep: 10 minutes<br/>Cooking: 5 minutes per skillet", 15),
        ("Prep: ½ hour<br>Total: 1 hour", 60),
        ("'''Total:''' 45 minutes<br>'''Prep:''' 5 minutes", 45),
        ("90 minutes (40 minutes active, 50 minutes cooking)", 90),
        ("Overnight", 480),
        ("Overnight plus 2 hours", 600),
        ("20 minutes<br/>or 40 minutes if you peel the shrimp", 40),
        ("3 days", 3 * 24 * 60),
    ],
)
def test_parse_total_minutes(raw: str, minutes: int) -> None:
    assert recipes.parse_total_minutes(raw) == minutes


@pytest.mark.parametrize("raw", [None, "", "varies", "8–10", "1 month", "About 3 weeks"])
def test_parse_total_minutes_unknown(raw: str | None) -> None:
    assert recipes.parse_total_minutes(raw) is None


@pytest.mark.parametrize(
    ("raw", "servings"),
    [
        ("12", 12),
        ("6–8", 6),
        ("4 persons", 4),
        ("Serves 1", 1),
        ("about 6", 6),
        ("6 (¼ cup each)", 6),
        ("Makes 40 cookies", 40),
        ("Varies", None),
        ("About 2 litres", None),
        ("1 cup", None),
        (None, None),
    ],
)
def test_parse_servings(raw: str | None, servings: int | None) -> None:
    assert recipes.parse_servings(raw) == servings


VEGAN = ["vegetarian", "vegan"]
VEGETARIAN = ["vegetarian"]


@pytest.mark.parametrize(
    ("ingredients", "diet"),
    [
        (["2 eggplants, diced", "1 butternut squash", "400 ml coconut milk"], VEGAN),
        (["4 tbsp peanut butter", "1 tin butter beans", "2 cups kidney beans"], VEGAN),
        (["200 g oyster mushrooms", "½ tsp cream of tartar", "1 tsp nutmeg"], VEGAN),
        (["1 bunch Swiss chard", "1 honeydew melon", "lamb's lettuce"], VEGAN),
        (["4 vegetarian sausages", "2 cups vegetable stock", "1 egg-free noodle pack"], VEGAN),
        (["1 cup almond milk", "2 tbsp vegan butter", "chia egg"], VEGAN),
        (["2 duck eggs", "salt"], VEGETARIAN),
        (["100 g goat cheese", "rocket"], VEGETARIAN),
        (["1 tbsp honey", "lemon"], VEGETARIAN),
        (["2 cups milk", "1 cup flour"], VEGETARIAN),
        (["2 tbsp fish sauce", "rice noodles"], []),
        (["1 swordfish steak"], []),
        (["1 packet gelatin", "sugar"], []),
        (["1 tsp Worcestershire sauce", "tomato juice"], []),
        (["2 cups chicken broth"], []),
        (["2 cups broth", "carrots"], []),
        (["1 lb ground chuck"], []),
        (["3 anchovies", "olive oil"], []),
    ],
)
def test_infer_diet(ingredients: list[str], diet: list[str]) -> None:
    assert recipes.infer_diet(ingredients) == diet


@pytest.mark.parametrize(
    ("raw", "category"),
    [
        ("Salad dressing recipes", "Salad dressing"),
        ("Recipes for dessert\u200e", "Dessert"),
        ("Recipes using peanut butter", "Peanut butter"),
        ("Beverages", "Beverage"),
        ("salad recipes", "Salad"),
        ("60 minutes", None),
        (None, None),
    ],
)
def test_normalize_category(raw: str | None, category: str | None) -> None:
    assert recipes.normalize_category(raw) == category


def test_recipe_from_entry_maps_fields() -> None:
    entry = {
        "title": "Crème Brûlée",
        "category": "Recipes for dessert",
        "servings": "4–6",
        "time": "Prep: 20 minutes<br>Baking: 40 minutes",
        "difficulty": "1",
        "ingredients": ["4 egg yolks", "500 ml cream", "1 package () sugar"],
        "steps": ["Heat the cream.", "Whisk in the yolks."],
    }
    idea = recipes.recipe_from_entry("Cookbook:Crème Brûlée", entry)
    assert isinstance(idea, Idea)
    assert idea.id == "wikibooks-creme-brulee"
    assert idea.url == "https://en.wikibooks.org/wiki/Cookbook:Cr%C3%A8me_Br%C3%BBl%C3%A9e"
    assert (idea.total_time_min, idea.servings, idea.category) == (60, 4, "Dessert")
    assert idea.diet == ["vegetarian"]
    assert idea.ingredients[2] == "1 package sugar"
    assert idea.tags == ["recipe", "dessert", "vegetarian", "easy"]
    assert idea.description.endswith("Heat the cream.")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"title": "X", "ingredients": [], "steps": []}, "no ingredients and no steps"),
        ([1, 2], "entry is not an object"),
    ],
)
def test_recipe_from_entry_rejects(entry: object, reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        recipes.recipe_from_entry("Cookbook:X", entry)


# --- films ---------------------------------------------------------------------------------


def test_video_from_row_maps_fields() -> None:
    row = movies.FilmRow(
        ID=1,
        imdbID="tt0000001",
        Title="A Film",
        Year=1999,
        Runtime=90.5,
        Genre="Drama, Crime",
        Released="",
        Director="Ann Lee, Bo Wu",
        Cast="A, B, C, D, E",
        Language="English",
        Country="France, N/A",
        Awards="Won 1 Oscar.",
    )
    video = movies.video_from_row(row)
    assert isinstance(video, Video)
    assert (video.id, video.url) == ("imdb-tt0000001", "https://www.imdb.com/title/tt0000001/")
    assert (video.duration_s, video.published) == (5430, date(1999, 1, 1))
    assert video.creator == "Ann Lee, Bo Wu"
    assert video.genre == ["Drama", "Crime"]
    assert video.tags == ["drama", "crime", "english", "france"]
    assert video.description == "Directed by Ann Lee, Bo Wu; starring A, B, C, D. Won 1 Oscar."


def test_film_without_credits_still_gets_a_description() -> None:
    row = movies.FilmRow(imdbID="tt0000002", Title="Quiet", Year=1950, Genre="Drama", Director="")
    assert movies.video_from_row(row).description == "Drama (1950)."


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (movies.FilmRow(imdbID="tt0000001", Title="  "), "missing title"),
        (movies.FilmRow(imdbID="", Title="T"), "imdbID"),
        (movies.FilmRow(imdbID="nm123", Title="T"), "imdbID"),
    ],
)
def test_video_from_row_rejects(row: movies.FilmRow, reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        movies.video_from_row(row)


# --- retail and superstore helpers -----------------------------------------------------------


def test_variant_and_colours() -> None:
    variant = {
        "item_id": "42",
        "options": {"color": "Space Grey", "waterproof": "yes", "backlight": "none"},
        "available": False,
        "price": 10.5,
    }
    product = retail.product_from_variant("Laptop", variant)
    assert product.title == "Laptop — Space Grey, waterproof"
    assert product.colors == ["space gray", "gray"]
    assert product.availability == "out_of_stock"
    assert product.category_path == ["Electronics", "Computers & Tablets", "Laptop"]
    assert retail.normalize_colour("black/silver") == ["black", "silver"]
    assert retail.normalize_colour("RGB") == []


def test_unit_price_and_median() -> None:
    assert superstore.unit_price(10.0, 2, 0.2) == pytest.approx(6.25)
    assert superstore.median_price([1.0, 2.0, 3.0, 100.0]) == 2.5
    assert superstore.median_price([1.005]) == 1.01
    for sales, qty, discount in [(1.0, 0, 0.0), (1.0, 1, 1.0), (-1.0, 1, 0.0)]:
        with pytest.raises(ValueError):
            superstore.unit_price(sales, qty, discount)


def test_guess_brands() -> None:
    names = [
        "Acme Scissors",
        "Acme Ruler",
        "ACME Tape",
        "Zed Lamp",
        "Zed Desk",
        "Howard Miller Clock A",
        "Howard Miller Clock B",
        "Howard Miller Clock C",
        "Binney & Smith Crayons",
        "Binney & Smith Pens",
        "Binney & Smith Chalk",
        "Recycled Paper",
        "Recycled Pads",
        "Recycled Folders",
    ]
    brands = superstore.guess_brands(names)
    assert brands["ACME Tape"] == "Acme"
    assert brands["Zed Lamp"] is None
    assert brands["Howard Miller Clock B"] == "Howard Miller"
    assert brands["Binney & Smith Pens"] == "Binney & Smith"
    assert brands["Recycled Pads"] is None
    assert superstore.name_colours("Black & Decker Vac, Grey/Red", "Black & Decker") == [
        "gray",
        "red",
    ]


SUPERSTORE_HEADER = (
    '"Row ID","Order Date","Product ID","Category","Sub-Category","Product Name",'
    '"Sales","Quantity","Discount"\n'
)


def test_superstore_aggregates_order_lines(tmp_path: Path) -> None:
    path = tmp_path / "superstore.csv"
    path.write_text(
        SUPERSTORE_HEADER
        + '1,2016-02-01,P1,Office Supplies,Art,"Acme Pen, Blue",10,2,0\n'
        + '2,2015-01-01,P1,Office Supplies,Art,"Acme Pen, Blue",8,2,0.2\n'
        + '3,2017-03-03,P1,Office Supplies,Art,"Acme Pen, Blue",30,2,0\n'
        + "4,2016-01-01,P2,Furniture,Tables,Zed Desk,10,0,0\n"
        + "5,2016-01-01,P1,Furniture,Tables,Zed Table,10,1,0\n"
        + "6,2016-01-01,P3,Furniture,Tables,Zed Chair,abc,1,0\n",
        encoding="utf-8",
    )
    report = superstore.superstore_report(path)
    products = list(superstore.read_superstore(path, report))
    assert (report.rows_read, report.rows_kept, report.items) == (6, 4, 2)
    assert [(s.reason, s.examples) for s in report.skipped] == [
        ("quantity is not positive", ["Row ID 4"]),
        ("could not convert string to float", ["Row ID 6"]),
    ]
    pen, table = products
    assert pen.id.startswith("superstore-P1-") and table.id.startswith("superstore-P1-")
    assert pen.id != table.id
    assert (pen.price, pen.colors, pen.category_path) == (5.0, ["blue"], ["Office Supplies", "Art"])
    assert pen.created is not None and pen.created.date() == date(2015, 1, 1)


def test_corrupt_source_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "recipes.json"
    path.write_text("{not json", encoding="utf-8")
    report = SourceReport(
        name="r", vertical="ideas", package="p", version="1", licence="l", origin="o", path="x"
    )
    with pytest.raises(SourceUnavailable, match="could not be read"):
        list(recipes.read_recipes(path, report))


# --- real slices ------------------------------------------------------------------------------


T = TypeVar("T")


def _source(find: Callable[[], T]) -> T:
    """Locate a real source, skipping the test only when its package is not installed."""
    try:
        return find()
    except SourceUnavailable as exc:
        pytest.skip(str(exc))


def test_real_recipes_slice() -> None:
    path, report = _source(recipes.recipes_report)
    ideas = list(recipes.read_recipes(path, report, limit=25))
    assert len(ideas) == report.items == 25 and report.truncated
    first = ideas[0]
    assert first.title == "'Out of Salad Dressing' Salad Dressing"
    assert (first.total_time_min, first.servings, first.diet) == (490, 12, ["vegetarian"])
    assert all(i.url and i.url.startswith(recipes.WIKIBOOKS + "Cookbook:") for i in ideas)


def test_real_movies_slice() -> None:
    path, report = _source(movies.movies_report)
    videos = list(movies.read_movies(path, report, limit=10))
    assert len(videos) == 10 and report.rows_read == 10
    assert videos[0].title == "We Live in Public"
    assert (videos[0].duration_s, videos[0].creator) == (5400, "Ondi Timoner")
    assert len({v.id for v in videos}) == 10


def test_real_retail_all_variants() -> None:
    path, report = _source(retail.retail_report)
    products = list(retail.read_retail(path, report))
    assert len(products) == report.rows_read == 591
    names = {p.category_path[-1] for p in products}
    assert len(names) == 50 and names <= set(retail.DEPARTMENTS)
    shirt = next(p for p in products if p.id == "tau2-9612497925")
    assert (shirt.title, shirt.price) == ("T-Shirt — blue, M, cotton, crew neck", 50.88)


def test_real_superstore_products() -> None:
    path = _source(lambda: superstore_csv())
    report = superstore.superstore_report(path)
    products = list(superstore.read_superstore(path, report))
    assert report.rows_read == 9994 and len(products) == 1894
    assert len({p.id for p in products}) == 1894
    bookcase = products[0]
    assert (bookcase.title, bookcase.price, bookcase.brand) == (
        "Bush Somerset Collection Bookcase",
        130.98,
        "Bush",
    )
    assert bookcase.category_path == ["Furniture", "Bookcases"]


def test_build_starter_small_slice() -> None:
    try:
        catalog = build_starter(limit_per_source=4)
    except SourceUnavailable as exc:
        pytest.skip(str(exc))
    assert catalog.counts() == {"ideas": 4, "video": 4, "shopping": 8}
    assert [s.name for s in catalog.sources] == [
        "wikibooks-recipes",
        "wikidata-films",
        "tau2-retail",
        "superstore",
    ]
    assert all(isinstance(i, Idea | Video | Product) for i in catalog.items)


def test_missing_sources_name_the_setup_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    with pytest.raises(SourceUnavailable, match=r"scripts/setup\.sh"):
        build_starter()
    with pytest.raises(SourceUnavailable, match="not installed"):
        package_dir("no-such-dist", "no_such_module_for_tessera")


def test_unpacked_source_packages_are_found_without_being_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    unpacked = tmp_path / "share" / "tessera" / "sources" / "packages"
    (unpacked / "no_such_module_for_tessera").mkdir(parents=True)
    info = unpacked / "no_such_dist_for_tessera-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: no-such-dist-for-tessera\n"
                                   "Version: 1.2.3\n")  # fmt: skip
    found = package_dir("no-such-dist-for-tessera", "no_such_module_for_tessera")
    assert found == unpacked / "no_such_module_for_tessera"
    assert package_version("no-such-dist-for-tessera") == "1.2.3"
    assert package_version("no-such-dist-either") == "unknown"
    assert "no_such_module_for_tessera" not in sys.modules


def test_critic_score_shrinks_small_samples() -> None:
    from tools.sources.movies import critic_score

    assert critic_score(None, 10) is None and critic_score(8.0, 0) is None
    few, many = critic_score(9.5, 3), critic_score(8.5, 200)
    assert few is not None and many is not None and many > few
    assert critic_score(6.0, 50) == pytest.approx(3.0)
