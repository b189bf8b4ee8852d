"""Text printed in an image, read by RapidOCR (PP-OCRv4 detection and recognition on ONNX).

Optional: `rapidocr-onnxruntime` is installed by `scripts/setup_vision.sh`. The engine
loads on first use, so building a `TextReader` is free and never fails; reading
without the package raises `OCRUnavailable` with the command that installs it.
Detection works on the image scaled so its longer side is at most `max_side` pixels
(RapidOCR's default upscales small images to 736 px on the short side, which is
several times slower and no better on product photos and screenshots).
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

from tools.vision import ImageInput, load_image

INSTALL_HINT = "run `bash scripts/setup_vision.sh` to install OCR (rapidocr-onnxruntime)"


class OCRError(RuntimeError):
    """OCR did not produce a reading; the message says why."""


class OCRUnavailable(OCRError):
    """OCR cannot run here: the package or its models are missing."""


def ocr_available() -> bool:
    """Whether RapidOCR and OpenCV are installed (checked without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr_onnxruntime", "cv2"))


class TextReader:
    """Reads lines of text from images; one engine per reader, loaded lazily, calls serialised.

    `min_score` drops lines the recogniser is unsure of (0-1); lines with fewer than two
    letters or digits are dropped too (specks read as "O" or "|").
    """

    def __init__(self, *, threads: int = 2, min_score: float = 0.6, max_side: int = 960) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must be within [0, 1] (got {min_score})")
        self.threads = max(1, threads)
        self.min_score = min_score
        self.max_side = max(32, max_side)
        self._engine: Any = None
        self._lock = threading.Lock()

    def read_text(self, image: ImageInput) -> list[str]:
        """The lines of text found in `image`, top to bottom; [] when there is none.

        Raises `ImageRejected` for an unusable image, `OCRUnavailable` when OCR is
        not installed, `OCRError` when the engine fails on the image.
        """
        picture = load_image(image)
        with self._lock:
            engine = self._load()
            try:
                found, _ = engine(picture)
            except Exception as exc:
                raise OCRError(f"OCR failed on this image ({type(exc).__name__}: {exc})") from exc
        lines: list[str] = []
        for entry in found or []:
            text, score = str(entry[1]).strip(), float(entry[2])
            if score >= self.min_score and sum(c.isalnum() for c in text) >= 2:
                lines.append(text)
        return lines

    def _load(self) -> Any:
        if self._engine is not None:
            return self._engine
        if not ocr_available():
            raise OCRUnavailable(f"OCR unavailable: {INSTALL_HINT}.")
        try:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR(
                det_limit_side_len=self.max_side,
                det_limit_type="max",
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                text_score=self.min_score,
            )
        except Exception as exc:
            raise OCRUnavailable(
                f"OCR unavailable: the engine did not load ({exc}); {INSTALL_HINT}."
            ) from exc
        return self._engine
