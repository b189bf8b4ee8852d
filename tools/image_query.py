"""What an image in a request says: ImageNet labels, printed text, an optional caption, and
the visual embedding, read concurrently into one `ImageSignals`.

The embedding feeds `ImageIndex.similar` (the image vertical); `search_text()` turns
labels, text and caption into words for the text verticals, to be merged with any
text the person typed ("this but in blue"). Labels and the embedding come from one
forward pass and are required; OCR and the caption are optional extras: when either
is missing, fails or runs out of time the signals say so in `notes` and the rest
is still returned.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from tools.ocr import OCRError, TextReader
from tools.vision import ImageInput, ImageRejected, VisionLike, load_image

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["CaptionFn", "ImageLabel", "ImageSignals", "understand_image"]

CaptionFn = Callable[["Image"], Awaitable[str | None]]
"""Describes an image in a few words (e.g. a vision-language model behind an API)."""


class ImageLabel(BaseModel):
    """One ImageNet label and its probability."""

    name: str
    score: float = Field(ge=0, le=1)


class ImageSignals(BaseModel):
    """Everything read from one image; `embedding` is left out of JSON."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    labels: list[ImageLabel] = Field(default_factory=list, description="Most likely first.")
    ocr_text: list[str] = Field(default_factory=list, description="Lines of printed text.")
    caption: str | None = Field(default=None, description="A caption, when a captioner ran.")
    embedding: SkipJsonSchema[np.ndarray | None] = Field(default=None, exclude=True, repr=False)
    width: int = 0
    height: int = 0
    notes: list[str] = Field(default_factory=list, description="What was unavailable or failed.")
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def salient_labels(
        self, *, min_top: float = 0.25, min_score: float = 0.05, mass: float = 0.8, limit: int = 3
    ) -> list[str]:
        """Labels worth searching for; none when the top label is below `min_top` (the
        photo shows nothing ImageNet names well). Otherwise most likely first, each at
        least `min_score`, until their probabilities add up to `mass` or `limit` are taken.
        """
        if not self.labels or self.labels[0].score < min_top:
            return []
        chosen: list[str] = []
        total = 0.0
        for label in self.labels:
            if label.score < min_score or len(chosen) >= limit or total >= mass:
                break
            chosen.append(label.name)
            total += label.score
        return chosen

    def search_text(self, *, max_chars: int = 200) -> str:
        """Words for the text verticals: caption, salient labels, then printed text."""
        parts = [self.caption or "", ", ".join(self.salient_labels()), " ".join(self.ocr_text)]
        text = " ".join(" ".join(p.split()) for p in parts if p.strip())
        if len(text) <= max_chars:
            return text
        return text[:max_chars].rsplit(" ", 1)[0]


async def understand_image(
    image: ImageInput,
    vision: VisionLike,
    ocr: TextReader | None = None,
    llm_caption: CaptionFn | None = None,
    *,
    top: int = 5,
    ocr_timeout_s: float = 10.0,
    caption_timeout_s: float = 20.0,
) -> ImageSignals:
    """Read `image` (a path, `file://`/`data:` URL, bytes or a decoded image).

    Raises `ImageRejected` for an image that cannot be used (missing, unreadable, over
    20 MB or 40 megapixels, remote) and whatever the vision model raises; OCR and
    caption problems only add a note.
    """
    start = time.perf_counter()
    picture = await asyncio.to_thread(load_image, image)
    signals = ImageSignals(width=picture.width, height=picture.height)
    signals.timings_ms["decode"] = _since(start)

    async def timed(name: str, work: Awaitable[Any], timeout: float | None) -> Any:
        began = time.perf_counter()
        try:
            return await asyncio.wait_for(work, timeout)
        finally:
            signals.timings_ms[name] = _since(began)

    jobs: dict[str, Awaitable[Any]] = {
        "vision": timed("vision", asyncio.to_thread(vision.analyze, picture, top), None)
    }
    if ocr is not None:
        jobs["ocr"] = timed("ocr", asyncio.to_thread(ocr.read_text, picture), ocr_timeout_s)
    else:
        signals.notes.append("OCR not configured")
    if llm_caption is not None:
        jobs["caption"] = timed("caption", llm_caption(picture), caption_timeout_s)
    outcomes = await asyncio.gather(*jobs.values(), return_exceptions=True)
    results = dict(zip(jobs, outcomes, strict=True))

    analyzed = results["vision"]
    if isinstance(analyzed, BaseException):
        raise analyzed
    signals.labels = [ImageLabel(name=n, score=min(1.0, max(0.0, s))) for n, s in analyzed.labels]
    signals.embedding = np.asarray(analyzed.embedding, dtype=np.float32)
    if "ocr" in results:
        signals.ocr_text = _outcome("OCR", results["ocr"], ocr_timeout_s, signals.notes) or []
    if "caption" in results:
        caption = _outcome("caption", results["caption"], caption_timeout_s, signals.notes)
        signals.caption = " ".join(str(caption or "").split()) or None
    signals.timings_ms["total"] = _since(start)
    return signals


def _outcome(what: str, result: Any, timeout: float, notes: list[str]) -> Any:
    """The result of an optional step, or None with a note saying what went wrong."""
    if isinstance(result, TimeoutError):
        notes.append(f"{what} skipped: it took longer than {timeout:g} s")
        return None
    if isinstance(result, OCRError | ImageRejected):
        notes.append(f"{what} skipped: {result}")
        return None
    if isinstance(result, Exception):
        notes.append(f"{what} failed: {type(result).__name__}: {result}")
        return None
    if isinstance(result, BaseException):
        raise result
    return result


def _since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
