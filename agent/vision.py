"""Image search at the edge: the vision model, OCR and the image index, when installed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from agent.cache import LRU
from agent.settings import Settings
from tools.image_index import ImageIndex
from tools.ocr import TextReader, ocr_available
from tools.vision import VisionModel, VisionUnavailable, load_vision

HOW_TO = "install it with `bash scripts/setup_vision.sh`"


@dataclass
class Vision:
    """Clients for image queries; `vectors` keeps this process's query-image embeddings."""

    model: VisionModel
    images: ImageIndex
    ocr: TextReader | None = None
    vectors: LRU[np.ndarray] = field(default_factory=lambda: LRU(256))

    def close(self) -> None:
        self.images.close()


def image_key(image: str) -> str:
    """A stable key for an image reference (path, file:// or data: URL)."""
    return hashlib.sha256(image.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def open_vision(settings: Settings) -> tuple[Vision | None, str]:
    """The vision clients, or None and a sentence saying why image search is off."""
    try:
        model = load_vision(settings.models_dir, threads=settings.llm_threads)
    except VisionUnavailable as exc:
        return None, f"image search unavailable: {exc}; {HOW_TO}"
    images = ImageIndex(settings.index_dir, model, create=True)
    ocr = TextReader() if ocr_available() else None
    note = "image search on" + ("" if ocr else " (no OCR installed)")
    return Vision(model=model, images=images, ocr=ocr), note
