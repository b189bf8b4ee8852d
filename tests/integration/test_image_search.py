"""Image queries through the whole graph: a picture alone, and a picture with words."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.deps import Deps, open_deps, open_index
from agent.engine import Engine
from agent.models import SearchRequest
from agent.settings import Settings
from tests.integration.images import altered, missing
from tools.catalog import CatalogItem, Idea, Product

pytestmark = pytest.mark.integration

NAMES = ["coffee", "chelsea", "astronaut", "rocket", "camera", "motorcycle_left", "coins"]


@pytest.fixture(scope="module")
def image_deps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deps]:
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        missing("scikit-image's sample photos are not installed")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    home = tmp_path_factory.mktemp("image-home")
    folder = home / "pictures"
    folder.mkdir()
    items: list[CatalogItem] = [
        Idea(id="espresso", title="Perfect espresso at home", description="Coffee brewing",
             tags=["coffee"], total_time_min=5),
        Idea(id="latte", title="Cafe latte with milk foam", description="A coffee drink"),
        Product(id="mug", title="Ceramic coffee mug", price=12.0, colors=["white"]),
    ]  # fmt: skip
    for name in NAMES:
        source = next(data.glob(f"{name}.*"))
        path = Path(shutil.copy(source, folder / source.name))
        items.append(Product(id=f"photo-{name}", title=f"Print of {name}", image_url=str(path)))
    settings = Settings(home=home, planner="rule")
    index = open_index(settings, create=True)
    index.upsert(items)
    index.close()
    import asyncio

    opened = open_deps(settings, use_llm=False, vision=True)
    with asyncio.Runner() as runner:
        deps = runner.run(opened.__aenter__())
        try:
            if deps.vision is None:
                missing(deps.vision_note)
            report = deps.vision.images.add(items)
            assert report.indexed == len(NAMES)
            yield deps
        finally:
            runner.run(opened.__aexit__(None, None, None))


async def test_picture_alone_finds_its_original_and_related_ideas(
    image_deps: Deps, tmp_path: Path
) -> None:
    from PIL import Image

    original = Path(image_deps.settings.root / "pictures" / "coffee.png")
    query = tmp_path / "coffee-crop.jpg"
    with Image.open(original) as img:
        w, h = img.size
        img.convert("RGB").crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(query)
    page = await Engine(image_deps).search(SearchRequest(text="", image=str(query)))
    looks = next(m for m in page.modules if m.vertical == "image")
    assert looks.items[0].id == "photo-coffee"
    assert set(page.trace.image.labels) & {"espresso", "cup", "coffee mug"}
    text_items = {i.id for m in page.modules if m.vertical != "image" for i in m.items}
    assert text_items & {"espresso", "latte", "mug"}


async def test_recoloured_picture_with_words(image_deps: Deps, tmp_path: Path) -> None:
    original = Path(image_deps.settings.root / "pictures" / "chelsea.png")
    query = altered(original, tmp_path / "chelsea-query.jpg")
    page = await Engine(image_deps).search(
        SearchRequest(text="this but in white", image=str(query))
    )
    looks = next(m for m in page.modules if m.vertical == "image")
    assert looks.items[0].id == "photo-chelsea"
    assert "search_products" in page.trace.steps[1].detail
    shopping = [m for m in page.modules if m.vertical == "shopping"]
    assert all("white" in i.colors for m in shopping for i in m.items)


async def test_unreadable_picture_is_reported_not_raised(image_deps: Deps, tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a picture")
    page = await Engine(image_deps).search(SearchRequest(text="coffee mug", image=str(bad)))
    assert any("image could not be used" in e for e in page.trace.errors)
    assert page.modules and all(m.vertical != "image" for m in page.modules)
