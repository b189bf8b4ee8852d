"""Large pictures under the pixel limit decode small: JPEGs at a reduced scale, others
reduced right after decoding, in every colour mode, before the models see them."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tools.vision import MAX_DECODED_SIDE, load_image


def encoded(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    img = Image.new(mode, size)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("mode", "size", "fmt"),
    [
        ("1", (6300, 6300), "PNG"),
        ("P", (5000, 3000), "PNG"),
        ("I;16", (3000, 3000), "PNG"),
        ("RGB", (6000, 4000), "JPEG"),
        ("L", (6000, 4000), "JPEG"),
    ],
)
def test_large_pictures_decode_to_a_bounded_size(
    mode: str, size: tuple[int, int], fmt: str
) -> None:
    picture = load_image(encoded(mode, size, fmt))
    assert picture.mode == "RGB"
    assert max(picture.size) <= MAX_DECODED_SIDE
    assert abs(picture.width / picture.height - size[0] / size[1]) < 0.02


def test_small_pictures_keep_their_size() -> None:
    assert load_image(encoded("RGB", (640, 480), "PNG")).size == (640, 480)
