"""The real image stack on real photos: EfficientNet-Lite0 labels and embeddings (ONNX),
RapidOCR, the Chroma image index, and `understand_image` end to end.

The photos are scikit-image's bundled samples, copied into a temporary folder. Without
the exported model, OCR or the samples these tests skip with the install command; under
CI (`CI` set) they fail instead, so a missing install step cannot pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.integration.images import altered, missing
from tools.catalog import CatalogItem, Idea, Product
from tools.image_index import ImageIndex
from tools.image_query import understand_image
from tools.ocr import TextReader, ocr_available
from tools.vision import VisionModel, VisionUnavailable, load_vision

pytestmark = pytest.mark.integration

PHOTOS = [
    "coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg", "camera.png",
    "motorcycle_left.png", "hubble_deep_field.jpg", "retina.jpg", "coins.png", "moon.png",
    "brick.png", "grass.png",
]  # fmt: skip
COFFEE_WORDS = {"espresso", "cup", "tea cup", "coffee mug", "coffeepot", "espresso machine"}


@pytest.fixture(scope="module")
def vision() -> VisionModel:
    try:
        return load_vision()
    except VisionUnavailable as exc:
        missing(str(exc))


@pytest.fixture(scope="module")
def reader() -> TextReader:
    if not ocr_available():
        missing("OCR is not installed")
    return TextReader()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real photos from scikit-image's sample data, copied to a temporary folder."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        missing("scikit-image's sample photos are not installed")
    source = Path(list(spec.submodule_search_locations)[0]) / "data"
    folder = tmp_path_factory.mktemp("photos")
    return {name.split(".")[0]: Path(shutil.copy(source / name, folder / name)) for name in PHOTOS}


def test_coffee_photo_is_labelled_as_coffee(vision: VisionModel, photos: dict[str, Path]) -> None:
    labels = vision.labels(photos["coffee"], top=5)
    assert labels[0][0] in COFFEE_WORDS
    assert sum(score for name, score in labels if name in COFFEE_WORDS) > 0.5
    assert [s for _, s in labels] == sorted((s for _, s in labels), reverse=True)
    cat = [name for name, _ in vision.labels(photos["chelsea"], top=3)]
    assert any(name.endswith("cat") or name == "Egyptian Mau" for name in cat)


def test_embeddings_are_unit_length_and_input_form_independent(
    vision: VisionModel, photos: dict[str, Path]
) -> None:
    path = photos["rocket"]
    vectors = [vision.embed(path), vision.embed(path.read_bytes()), vision.embed(path.as_uri())]
    assert vectors[0].shape == (1280,) and vectors[0].dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    for other in vectors[1:]:
        assert float(vectors[0] @ other) > 0.9999
    batch = vision.embed_many([photos["coffee"], path])
    assert float(batch[1] @ vectors[0]) > 0.9999


def test_altered_copy_finds_its_original_first(
    vision: VisionModel, photos: dict[str, Path], tmp_path: Path
) -> None:
    items: list[CatalogItem] = [
        Product(id=name, title=name, image_url=path.as_uri()) if n % 2
        else Idea(id=name, title=name, image_url=str(path))
        for n, (name, path) in enumerate(photos.items())
    ]  # fmt: skip
    index = ImageIndex(tmp_path / "index", vision)
    try:
        report = index.add(items)
        assert (report.indexed, report.skipped) == (len(PHOTOS), [])
        for name, path in photos.items():
            query = vision.embed(altered(path, tmp_path / f"{name}-altered.jpg"))
            hits = index.similar(query, k=3)
            assert hits[0].id == name, f"{name}: {hits}"
            assert hits[0].similarity - hits[1].similarity > 0.05, f"{name}: {hits}"
    finally:
        index.close()


def render_text(lines: list[str], path: Path) -> Path:
    img = Image.new("RGB", (720, 90 * len(lines) + 40), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(lines):
        draw.text((30, 30 + 90 * n), line, fill="black", font=font)
    img.save(path)
    return path


def squeeze(text: str) -> str:
    return "".join(text.lower().split())


def test_ocr_reads_printed_text(reader: TextReader, tmp_path: Path) -> None:
    lines = ["Walnut coffee table", "Blue linen sofa 2024"]
    found = reader.read_text(render_text(lines, tmp_path / "text.png"))
    assert [squeeze(t) for t in found] == [squeeze(t) for t in lines]
    assert reader.read_text(Image.new("RGB", (300, 200), "white")) == []


async def test_understand_image_end_to_end(
    vision: VisionModel, reader: TextReader, photos: dict[str, Path], tmp_path: Path
) -> None:
    coffee = await understand_image(photos["coffee"], vision, reader)
    assert coffee.labels[0].name in COFFEE_WORDS and coffee.notes == []
    assert coffee.labels[0].name in coffee.search_text()
    assert coffee.embedding is not None
    assert float(coffee.embedding @ vision.embed(photos["coffee"])) > 0.9999
    assert "embedding" not in json.loads(coffee.model_dump_json())

    poster = render_text(["Mid century armchair"], tmp_path / "poster.png")
    signals = await understand_image(poster.read_bytes(), vision, reader)
    assert [squeeze(t) for t in signals.ocr_text] == ["midcenturyarmchair"]
    assert squeeze("Mid century armchair") in squeeze(signals.search_text())
