"""Helpers shared by the image integration tests: skip (or fail under CI) and photo edits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
from PIL import Image, ImageEnhance


def missing(what: str) -> NoReturn:
    message = f"{what}: run `bash scripts/setup_vision.sh`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def altered(path: Path, out: Path) -> Path:
    """A cropped copy (about 70% of the area, off-centre) with its hues rotated by 120 degrees."""
    img = Image.open(path).convert("RGB")
    w, h = img.size
    crop = img.crop((int(w * 0.1), int(h * 0.05), int(w * 0.9), int(h * 0.9)))
    hue, sat, val = crop.convert("HSV").split()
    shifted = Image.merge("HSV", (hue.point(lambda x: (x + 85) % 256), sat, val)).convert("RGB")
    ImageEnhance.Brightness(shifted).enhance(1.15).save(out, quality=85)
    return out
