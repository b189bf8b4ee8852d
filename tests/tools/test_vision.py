"""Image loading and limits, the vision model's install checks, OCR seams, the image index
and image understanding, with a small deterministic stand-in for the vision model."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.deps import open_index
from agent.settings import Settings
from tools import ocr as ocr_module
from tools import vision as vision_module
from tools.catalog import CatalogItem, Idea, Product, Video
from tools.image_index import ImageIndex
from tools.image_query import ImageLabel, ImageSignals, understand_image
from tools.ocr import OCRError, OCRUnavailable, TextReader
from tools.store import IndexUnavailable
from tools.vision import (
    MAX_IMAGE_BYTES,
    ImageInput,
    ImageRejected,
    VisionModel,
    VisionResult,
    VisionUnavailable,
    load_image,
    load_vision,
    parse_image_ref,
)


class FakeVision:
    """Embeds a 4x4 thumbnail (centred, unit length); labels name the dominant channel."""

    name = "fake-thumbnail"
    dim = 48

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, image: ImageInput, top: int = 5) -> VisionResult:
        self.calls += 1
        pic = load_image(image)
        arr = np.asarray(pic.resize((4, 4)), dtype=np.float32)
        vec = (arr - 127.5).ravel()
        channel = ["red thing", "green thing", "blue thing"][int(arr.mean(axis=(0, 1)).argmax())]
        labels = [(channel, 0.7), ("blob", 0.2), ("speck", 0.04)][:top]
        return VisionResult(labels, vec / max(float(np.linalg.norm(vec)), 1e-9))

    def embed(self, image: ImageInput) -> np.ndarray:
        return self.analyze(image, 1).embedding


def solid(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def png_bytes(img: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


# --- references and loading ------------------------------------------------------------


def test_parse_image_ref_accepts_local_forms_and_refuses_remote(tmp_path: Path) -> None:
    assert parse_image_ref("file:///tmp/a%20b.png") == Path("/tmp/a b.png")
    assert parse_image_ref("file://localhost/tmp/x.jpg") == Path("/tmp/x.jpg")
    assert parse_image_ref(" photos/x.jpg ") == Path("photos/x.jpg")
    data = png_bytes(Image.new("RGB", (2, 2)))
    assert parse_image_ref("data:image/png;base64," + base64.b64encode(data).decode()) == data
    for bad, reason in [
        ("https://example.com/x.jpg", "not fetched"),
        ("file://server/share/x.jpg", "another host"),
        ("data:text/plain;base64,aGk=", "data:image"),
        ("data:image/png;base64,@@@", "not valid base64"),
        ("   ", "empty"),
    ]:
        with pytest.raises(ImageRejected, match=reason):
            parse_image_ref(bad)


def test_load_image_from_every_input_form(tmp_path: Path) -> None:
    path = solid(tmp_path / "red.png", (255, 0, 0))
    for source in (path, str(path), path.as_uri(), path.read_bytes(), Image.open(path)):
        img = load_image(source)
        assert (img.mode, img.size, img.getpixel((0, 0))) == ("RGB", (40, 30), (255, 0, 0))


def test_load_image_rejects_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a picture")
    truncated = png_bytes(Image.effect_noise((64, 64), 40))[:200]
    cases: list[tuple[Path | bytes, str]] = [
        (tmp_path / "missing.png", "no image file"),
        (tmp_path, "no image file"),
        (tmp_path / "notes.txt", "not an image format"),
        (truncated, "could not be decoded"),
    ]
    for source, reason in cases:
        with pytest.raises(ImageRejected, match=reason):
            load_image(source)


def test_files_over_20_mb_are_rejected_before_decoding(tmp_path: Path) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as handle:
        handle.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(ImageRejected, match=r"huge.jpg is 20.0 MB, over the 20 MB limit"):
        load_image(big)
    noisy = png_bytes(Image.effect_noise((100, 100), 60))
    with pytest.raises(ImageRejected, match=r"the image is [\d,]+ bytes, over the 0.001 MB limit"):
        load_image(noisy, max_bytes=1000)


def test_images_over_40_megapixels_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    Image.new("1", (8000, 5001)).save(path)
    with pytest.raises(ImageRejected, match=r"8000x5001 \(40.0 megapixels\), over the 40"):
        load_image(path)


def test_a_decompression_bomb_header_is_rejected_not_raised(tmp_path: Path) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 60_000, 60_000, 1, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    with pytest.raises(ImageRejected, match="megapixel|too large"):
        load_image(bomb)


def test_modes_are_normalised_to_upright_rgb() -> None:
    clear = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert load_image(png_bytes(clear)).getpixel((1, 1)) == (255, 255, 255)
    deep = Image.fromarray(np.full((3, 3), 65535, dtype=np.uint16))
    assert load_image(png_bytes(deep)).getpixel((0, 0)) == (255, 255, 255)
    frames = [Image.new("P", (5, 5), i) for i in (1, 2)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    assert load_image(gif.getvalue()).size == (5, 5)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = load_image(png_bytes(Image.new("RGB", (20, 10)), "JPEG", exif=exif.tobytes()))
    assert rotated.size == (10, 20)


# --- model install checks --------------------------------------------------------------


def test_missing_model_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vision_module, "default_model_dir", lambda: tmp_path / "venv-share")
    with pytest.raises(VisionUnavailable, match="setup_vision.sh") as caught:
        load_vision(Settings(home=tmp_path / "home").models_dir)
    assert str(tmp_path / "home" / "models") in str(caught.value)
    with pytest.raises(VisionUnavailable, match="manifest.json"):
        VisionModel(tmp_path)


def test_an_export_under_tessera_home_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, home = tmp_path / "venv-share", tmp_path / "home"
    monkeypatch.setattr(vision_module, "default_model_dir", lambda: shared)
    shared.mkdir()
    (shared / "manifest.json").write_text("{}")
    settings = Settings(home=home)
    assert vision_module.find_model_dir(settings.models_dir) == shared
    own = settings.models_dir / "efficientnet-lite0"
    own.mkdir(parents=True)
    (own / "manifest.json").write_text("{}")
    assert vision_module.find_model_dir(settings.models_dir) == own
    assert vision_module.find_model_dir() == shared
    with pytest.raises(VisionUnavailable, match="not a Tessera vision manifest"):
        load_vision(settings.models_dir)


def test_a_model_file_that_does_not_match_its_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "labels.json").write_text(json.dumps(["x"] * 1000))
    manifest = {
        "format": 1,
        "model": "efficientnet-lite0",
        "onnx": {"file": "model.onnx", "sha256": "0" * 64},
        "labels": {"file": "labels.json"},
        "preprocess": {"size": 224, "mean": 127, "std": 128},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VisionUnavailable, match="does not match its manifest"):
        VisionModel(tmp_path)
    import hashlib

    manifest["onnx"]["sha256"] = hashlib.sha256(b"not a model").hexdigest()  # type: ignore[index]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VisionUnavailable, match="Could not load the image model"):
        VisionModel(tmp_path)


# --- OCR seams -------------------------------------------------------------------------


def test_ocr_unavailable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ocr_module, "ocr_available", lambda: False)
    with pytest.raises(OCRUnavailable, match=r"OCR unavailable: run `bash scripts/setup_vision"):
        TextReader().read_text(solid(tmp_path / "a.png", (9, 9, 9)))
    with pytest.raises(ValueError, match="min_score"):
        TextReader(min_score=1.5)


def test_ocr_keeps_confident_lines_with_real_words(tmp_path: Path) -> None:
    reader = TextReader(min_score=0.6)
    box = [[0, 0], [1, 0], [1, 1], [0, 1]]
    found = [[box, " Hello world ", 0.93], [box, "O", 0.99], [box, "maybe", 0.31], [box, "42", 0.8]]
    reader._engine = lambda picture: (found, [0.0])
    assert reader.read_text(solid(tmp_path / "a.png", (9, 9, 9))) == ["Hello world", "42"]

    def broken(picture: object) -> None:
        raise RuntimeError("bad tensor")

    reader._engine = broken
    with pytest.raises(OCRError, match="bad tensor"):
        reader.read_text(solid(tmp_path / "a.png", (9, 9, 9)))


# --- image index -----------------------------------------------------------------------


def test_image_index_adds_skips_and_finds_similar(tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    pics.mkdir()
    red = solid(pics / "red.png", (250, 10, 10))
    solid(pics / "blue.png", (10, 10, 250))
    green = png_bytes(Image.new("RGB", (8, 8), (10, 240, 10)))
    (pics / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with (pics / "huge.png").open("wb") as handle:
        handle.truncate(MAX_IMAGE_BYTES + 1)
    items: list[CatalogItem] = [
        Product(id="p-red", title="Red lamp", image_url=str(red)),
        Product(id="p-blue", title="Blue lamp", image_url="blue.png"),
        Idea(id="i-green", title="Green salad",
             image_url="data:image/png;base64," + base64.b64encode(green).decode()),
        Video(id="v-red", title="Red film", image_url=red.as_uri()),
        Product(id="p-web", title="Web", image_url="https://cdn.example.com/x.jpg"),
        Product(id="p-none", title="None"),
        Product(id="p-gone", title="Gone", image_url=str(pics / "nope.png")),
        Product(id="p-broken", title="Broken", image_url=str(pics / "broken.jpg")),
        Product(id="p-huge", title="Huge", image_url=str(pics / "huge.png")),
    ]  # fmt: skip
    vision = FakeVision()
    index = ImageIndex(tmp_path / "index", vision)
    try:
        report = index.add(items, base_dir=pics, batch_size=4)
        assert (report.indexed, report.remote, report.no_image) == (4, 1, 1)
        reasons = {s.id: s.reason for s in report.skipped}
        assert set(reasons) == {"p-gone", "p-broken", "p-huge"}
        assert "no image file" in reasons["p-gone"]
        assert "not an image format" in reasons["p-broken"]
        assert "20 MB limit" in reasons["p-huge"]
        assert index.count() == 4

        query = vision.embed(Image.new("RGB", (16, 16), (255, 0, 0)))
        top = index.similar(query, k=3)
        assert {(h.vertical, h.id) for h in top[:2]} == {("shopping", "p-red"), ("video", "v-red")}
        assert top[0].similarity == pytest.approx(1.0, abs=1e-3)
        only_ideas = index.similar(query, k=3, verticals=["ideas"])
        assert [(h.vertical, h.id) for h in only_ideas] == [("ideas", "i-green")]
        with pytest.raises(ValueError, match="unknown vertical"):
            index.similar(query, verticals=["images"])  # type: ignore[list-item]

        calls = vision.calls
        again = index.add(items, base_dir=pics)
        assert (again.indexed, again.unchanged, vision.calls) == (0, 4, calls)

        solid(pics / "blue.png", (10, 240, 10), size=(41, 30))
        os.utime(pics / "blue.png", ns=(1, 1))
        moved: list[CatalogItem] = [items[1], Product(id="p-red", title="Red lamp, no photo")]
        changed = index.add(moved, base_dir=pics)
        assert (changed.indexed, changed.no_image, changed.removed) == (1, 1, 1)
        assert index.count() == 3
        index.delete("video", ["v-red"])
        assert index.count() == 2
    finally:
        index.close()


def test_image_index_refuses_another_model_until_reset(tmp_path: Path) -> None:
    first = ImageIndex(tmp_path, FakeVision())
    first.add([Product(id="a", title="A", image_url=str(solid(tmp_path / "a.png", (1, 2, 3))))])
    first.close()

    class OtherVision(FakeVision):
        name = "other-model"

    with pytest.raises(IndexUnavailable, match="built with the model fake-thumbnail"):
        ImageIndex(tmp_path, OtherVision())
    with pytest.raises(IndexUnavailable, match="No vector store"):
        ImageIndex(tmp_path / "elsewhere", FakeVision(), create=False)
    reopened = ImageIndex(tmp_path, FakeVision())
    reopened.reset()
    assert reopened.count() == 0
    reopened.close()


def test_image_index_shares_the_catalog_index_directory(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    catalog = open_index(settings, create=True)
    images = ImageIndex(settings.index_dir, FakeVision())
    try:
        red = solid(tmp_path / "red.png", (255, 0, 0))
        catalog.upsert([Product(id="p1", title="Red mesh office chair", image_url=str(red))])
        report = images.add([Product(id="p1", title="Red chair", image_url=str(red))])
        assert report.indexed == 1
        images.close()
        assert [h.item.id for h in catalog.search("shopping", "office chair")] == ["p1"]
    finally:
        catalog.close()
    reopened = ImageIndex(settings.index_dir, FakeVision(), create=False)
    assert [h.id for h in reopened.similar(FakeVision().embed(red), k=1)] == ["p1"]
    reopened.close()


# --- understanding an image ------------------------------------------------------------


class ScriptedReader(TextReader):
    def __init__(self, lines: list[str] | Exception, delay_s: float = 0.0) -> None:
        super().__init__()
        self.lines, self.delay_s = lines, delay_s

    def read_text(self, image: object) -> list[str]:
        if self.delay_s:
            import time

            time.sleep(self.delay_s)
        if isinstance(self.lines, Exception):
            raise self.lines
        return list(self.lines)


async def test_understand_image_combines_labels_text_and_caption(tmp_path: Path) -> None:
    path = solid(tmp_path / "red.png", (250, 10, 10))

    async def caption(picture: Image.Image) -> str:
        return f"  a plain   {picture.width}px swatch "

    signals = await understand_image(
        path.as_uri(), FakeVision(), ScriptedReader(["SALE  25% OFF"]), caption
    )
    assert [label.name for label in signals.labels] == ["red thing", "blob", "speck"]
    assert signals.ocr_text == ["SALE  25% OFF"]
    assert signals.caption == "a plain 40px swatch"
    assert (signals.width, signals.height, signals.notes) == (40, 30, [])
    assert signals.search_text() == "a plain 40px swatch red thing, blob SALE 25% OFF"
    assert signals.embedding is not None and signals.embedding.shape == (48,)
    dumped = json.loads(signals.model_dump_json())
    assert "embedding" not in dumped and dumped["labels"][0] == {"name": "red thing", "score": 0.7}
    assert "embedding" not in ImageSignals.model_json_schema()["properties"]
    assert {"decode", "vision", "ocr", "caption", "total"} <= set(signals.timings_ms)


async def test_optional_steps_fail_soft_and_the_image_must_be_usable(tmp_path: Path) -> None:
    path = solid(tmp_path / "blue.png", (10, 10, 250))

    async def failing_caption(picture: Image.Image) -> str:
        raise ConnectionError("captioner down")

    signals = await understand_image(
        path, FakeVision(), ScriptedReader(OCRUnavailable("OCR unavailable: install it")),
        failing_caption,
    )  # fmt: skip
    assert signals.labels[0].name == "blue thing" and signals.ocr_text == []
    assert signals.notes == [
        "OCR skipped: OCR unavailable: install it",
        "caption failed: ConnectionError: captioner down",
    ]
    slow = await understand_image(
        path, FakeVision(), ScriptedReader(["x"], 1.0), ocr_timeout_s=0.05
    )
    assert slow.notes == ["OCR skipped: it took longer than 0.05 s"]
    bare = await understand_image(path.read_bytes(), FakeVision())
    assert bare.notes == ["OCR not configured"] and bare.search_text() == "blue thing, blob"
    with pytest.raises(ImageRejected, match="not fetched"):
        await understand_image("https://example.com/cat.jpg", FakeVision())

    class BrokenVision(FakeVision):
        def analyze(self, image: ImageInput, top: int = 5) -> VisionResult:
            raise VisionUnavailable("model gone")

    with pytest.raises(VisionUnavailable, match="model gone"):
        await understand_image(path, BrokenVision(), ScriptedReader(["x"]))
    await asyncio.sleep(0)


def test_salient_labels_and_search_text_limits() -> None:
    def signals(*scores: float) -> ImageSignals:
        return ImageSignals(
            labels=[ImageLabel(name=f"l{i}", score=s) for i, s in enumerate(scores)]
        )

    assert signals(0.95, 0.03).salient_labels() == ["l0"]
    assert signals(0.5, 0.2, 0.1, 0.1).salient_labels() == ["l0", "l1", "l2"]
    assert signals(0.4, 0.3, 0.02).salient_labels() == ["l0", "l1"]
    assert signals(0.2, 0.2, 0.2).salient_labels() == []
    assert signals(0.01).salient_labels() == [] and signals().search_text() == ""
    long = ImageSignals(ocr_text=["word " * 100])
    assert len(long.search_text(max_chars=50)) <= 50 and long.search_text().endswith("word")


def test_image_eval_metrics_are_averaged_where_they_apply() -> None:
    from evals.report import CaseResult
    from evals.suites.images import SUBJECTS, label_precision, margin, recall_at, summary
    from tools.image_index import SimilarImage

    coffee = SUBJECTS["coffee.png"]
    assert label_precision(["Espresso", "cup", "plate"], coffee) == pytest.approx(2 / 3)
    assert label_precision([], coffee) == 0.0
    assert (recall_at(["b", "a"], "a", 1), recall_at(["b", "a"], "a", 3)) == (0.0, 1.0)
    hits = [SimilarImage("shopping", "b", 0.9), SimilarImage("ideas", "a", 0.7)]
    assert margin(hits, "a") == pytest.approx(-0.2) and margin(hits[1:], "a") == 0.7
    cases = [
        CaseResult(id="x", metrics={"label_top1": 1.0, "recall@1": 1.0}),
        CaseResult(id="y", metrics={"label_abstain": 0.0, "recall@1": 0.0}),
    ]
    figures = summary(cases)
    assert (figures["label_top1"], figures["label_abstain"], figures["recall@1"]) == (1, 0, 0.5)
    assert figures["cases"] == 2
