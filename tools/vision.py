"""Images in, labels and visual embeddings out: EfficientNet-Lite0 (ImageNet) on ONNX Runtime.

The model is exported from its registry packages once at install time
(`scripts/setup_vision.sh`) into `<venv>/share/tessera/models/efficientnet-lite0`
(or `TESSERA_HOME/models/efficientnet-lite0`), so no torch is needed here. Labels are
the 1000 ImageNet classes; the embedding is the 1280-d pooled feature vector,
L2-normalised, which finds the same photo again after cropping or recolouring.
Images are decoded with Pillow under limits: a file over 20 MB or 40 megapixels, or
one that is not a readable image, is rejected with a reason a person can act on; what
is decoded is reduced at once to at most 1280 px on its longest side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeAlias
from urllib.parse import unquote, urlparse

import numpy as np

from tools.errors import UserError

if TYPE_CHECKING:
    from PIL.Image import Image


__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "ImageInput",
    "ImageRejected",
    "VisionLike",
    "VisionModel",
    "VisionResult",
    "VisionUnavailable",
    "find_model_dir",
    "load_image",
    "load_vision",
    "parse_image_ref",
]

MODEL_DIRNAME = "efficientnet-lite0"
SETUP_HINT = "run `bash scripts/setup_vision.sh` to install the image model"
MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_PIXELS = 40_000_000
MAX_DECODED_SIDE = 1280
"""Longest side of a decoded image: JPEGs decode at a reduced scale (`draft`), others are
reduced right after decoding, before any colour conversion, so a large picture costs
little memory or time; the models read 224 px and OCR about 1000 px."""
Fit = Literal["squash", "crop"]
ImageInput: TypeAlias = "Image | Path | str | bytes"
"""A decoded image, a path, a path or `file://`/`data:` URL as text, or encoded bytes."""


class ImageRejected(UserError, ValueError):
    """An image that will not be used: missing, unreadable, too large or remote."""


class VisionUnavailable(UserError, RuntimeError):
    """The vision model or Pillow is not installed, or its files cannot be read."""


def parse_image_ref(ref: str) -> Path | bytes:
    """A path for a local path or `file://` URL, the bytes of a `data:` URL.

    Remote URLs are refused: images are never fetched over the network.
    """
    text = ref.strip()
    if text.startswith("data:"):
        header, sep, payload = text.partition(",")
        if not sep or ";base64" not in header or not header[5:].startswith("image/"):
            raise ImageRejected("a data: URL must be 'data:image/...;base64,<data>'")
        if len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
            raise ImageRejected(f"the data: URL is over the {MAX_IMAGE_BYTES / 1e6:g} MB limit")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImageRejected(f"the data: URL is not valid base64 ({exc})") from exc
    parsed = urlparse(text)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ImageRejected(f"file URL on another host ({parsed.netloc}) cannot be read")
        return Path(unquote(parsed.path))
    if parsed.scheme in ("http", "https", "ftp", "s3", "gs"):
        raise ImageRejected(f"remote image URLs are not fetched ({parsed.scheme}://...)")
    if not text:
        raise ImageRejected("the image reference is empty")
    return Path(text).expanduser()


def load_image(
    source: ImageInput, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> Image:
    """`source` decoded to an upright RGB image, or `ImageRejected` with the reason.

    Size limits are checked before decoding (file size, then the header's pixel count);
    transparency is flattened onto white, EXIF rotation applied, only the first frame of
    an animation kept, and 16-bit or float images scaled to 8 bits.
    """
    try:
        from PIL import Image as PILImage
        from PIL import ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise VisionUnavailable(f"Pillow is not installed: {SETUP_HINT}.") from exc
    if isinstance(source, PILImage.Image):
        return _to_rgb(source)
    if isinstance(source, str):
        source = parse_image_ref(source)
    what = "the image" if isinstance(source, bytes) else str(source)
    if isinstance(source, Path):
        if not source.is_file():
            raise ImageRejected(f"no image file at {source}")
        size = source.stat().st_size
    else:
        size = len(source)
    if size > max_bytes:
        shown = f"{size / 1e6:.1f} MB" if size >= 1_000_000 else f"{size:,} bytes"
        raise ImageRejected(f"{what} is {shown}, over the {max_bytes / 1e6:g} MB limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            handle = PILImage.open(source if isinstance(source, Path) else io.BytesIO(source))
        with handle as img:
            pixels = img.width * img.height
            if pixels > max_pixels:
                raise ImageRejected(
                    f"{what} is {img.width}x{img.height} ({pixels / 1e6:.1f} megapixels), "
                    f"over the {max_pixels / 1e6:g} megapixel limit"
                )
            if img.format == "JPEG":
                img.draft("RGB", (MAX_DECODED_SIDE, MAX_DECODED_SIDE))
            img.load()
            small = _reduce(img)
            upright = ImageOps.exif_transpose(small)
            return _to_rgb(upright if upright is not None else small)
    except ImageRejected:
        raise
    except PILImage.DecompressionBombError as exc:
        raise ImageRejected(f"{what} is too large to decode ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(f"{what} is not an image format Pillow can read") from exc
    except PermissionError as exc:
        raise ImageRejected(f"{what} cannot be read ({exc.strerror})") from exc
    except Exception as exc:
        raise ImageRejected(f"{what} could not be decoded (truncated or corrupt: {exc})") from exc


def _reduce(img: Image) -> Image:
    """`img` with its longest side at most `MAX_DECODED_SIDE`, reduced in its own mode."""
    from PIL import Image as PILImage

    factor = -(-max(img.size) // MAX_DECODED_SIDE)
    if factor < 2:
        return img
    if img.mode == "1":
        img = img.convert("L")
    if img.mode in ("L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "I", "F", "YCbCr"):
        return img.reduce(factor)
    size = (max(1, img.width // factor), max(1, img.height // factor))
    return img.resize(size, PILImage.Resampling.NEAREST)


def _to_rgb(img: Image) -> Image:
    from PIL import Image as PILImage

    if img.mode == "RGB":
        return img
    if img.mode.startswith("I") or img.mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        if img.mode.startswith("I;16"):
            arr = arr / 257.0
        else:
            low, high = float(arr.min()), float(arr.max())
            arr = (arr - low) * (255.0 / max(high - low, 1e-12))
        img = PILImage.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        canvas = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        return PILImage.alpha_composite(canvas, rgba).convert("RGB")
    return img.convert("RGB")


class VisionResult(NamedTuple):
    """One forward pass: the top labels with probabilities, and the unit-length embedding."""

    labels: list[tuple[str, float]]
    embedding: np.ndarray


class VisionLike(Protocol):
    """What image understanding and the image index need from a vision model."""

    name: str
    dim: int

    def analyze(self, image: ImageInput, top: int = 5) -> VisionResult: ...

    def embed(self, image: ImageInput) -> np.ndarray: ...


def default_model_dir() -> Path:
    """Where `scripts/setup_vision.sh` exports the model: inside the active environment."""
    return Path(sys.prefix) / "share" / "tessera" / "models" / MODEL_DIRNAME


def find_model_dir(models_dir: Path | None = None) -> Path | None:
    """The first folder holding an export: `models_dir` (TESSERA_HOME/models), then the venv's."""
    candidates = [models_dir / MODEL_DIRNAME] if models_dir is not None else []
    candidates.append(default_model_dir())
    return next((c for c in candidates if (c / "manifest.json").is_file()), None)


def load_vision(models_dir: Path | None = None, *, threads: int = 2) -> VisionModel:
    """The installed vision model, or `VisionUnavailable` saying how to install it."""
    found = find_model_dir(models_dir)
    if found is None:
        looked = [str(default_model_dir())]
        if models_dir is not None:
            looked.insert(0, str(models_dir / MODEL_DIRNAME))
        raise VisionUnavailable(
            f"The image model is not installed (looked in {', '.join(looked)}): {SETUP_HINT}."
        )
    return VisionModel(found, threads=threads)


class VisionModel:
    """EfficientNet-Lite0 labels (ImageNet-1k) and 1280-d embeddings from one ONNX session.

    `fit` is how an image becomes the model's 224x224 square: `crop` (the default, as in
    ImageNet evaluation) resizes the short side to 256 and takes the centre; `squash`
    resizes the whole image, losing nothing at the edges but distorting its shape
    (`evals/suites/images.py` compares the two). Thread-safe: ONNX Runtime sessions are.
    """

    dim = 1280

    def __init__(self, model_dir: Path, *, threads: int = 2, fit: Fit = "crop") -> None:
        import onnxruntime as ort

        self.model_dir = Path(model_dir)
        manifest = self._read_manifest()
        try:
            model_file = self.model_dir / manifest["onnx"]["file"]
            digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
            if digest != manifest["onnx"]["sha256"]:
                raise VisionUnavailable(
                    f"{model_file} does not match its manifest (sha256 {digest[:12]}...); "
                    f"rerun with FORCE=1: {SETUP_HINT}."
                )
            names = json.loads((self.model_dir / manifest["labels"]["file"]).read_text("utf-8"))
            self.size = int(manifest["preprocess"]["size"])
            self.mean = float(manifest["preprocess"]["mean"])
            self.std = float(manifest["preprocess"]["std"])
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, threads)
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except VisionUnavailable:
            raise
        except Exception as exc:
            raise VisionUnavailable(
                f"Could not load the image model from {self.model_dir}: {exc}; {SETUP_HINT}."
            ) from exc
        if not isinstance(names, list) or len(names) != 1000:
            raise VisionUnavailable(f"{self.model_dir} holds no 1000 class names; {SETUP_HINT}.")
        self.class_names: list[str] = [str(n) for n in names]
        self.fit: Fit = fit
        self.name = f"{manifest['model']}-{fit}"

    def _read_manifest(self) -> dict[str, Any]:
        path = self.model_dir / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise VisionUnavailable(f"Cannot read {path} ({exc}): {SETUP_HINT}.") from exc
        if not isinstance(data, dict) or data.get("format") != 1:
            raise VisionUnavailable(f"{path} is not a Tessera vision manifest: {SETUP_HINT}.")
        return data

    def describe(self) -> str:
        return f"{self.name} ({len(self.class_names)} labels, {self.dim}-d) from {self.model_dir}"

    def labels(self, image: ImageInput, top: int = 5) -> list[tuple[str, float]]:
        """The `top` most likely ImageNet labels with probabilities, most likely first."""
        return self.analyze(image, top).labels

    def embed(self, image: ImageInput) -> np.ndarray:
        """The unit-length 1280-d embedding: a dot product of two is a cosine similarity."""
        return self.analyze(image, 1).embedding

    def analyze(self, image: ImageInput, top: int = 5) -> VisionResult:
        """Labels and embedding from one forward pass."""
        if top < 1:
            raise ValueError(f"top must be at least 1 (got {top})")
        logits, features = self._run(self.pixels(image)[None])
        return VisionResult(self._top_labels(logits[0], top), features[0])

    def embed_many(self, images: Sequence[ImageInput], *, batch_size: int = 16) -> np.ndarray:
        """Embeddings of many images, shape (len(images), 1280), in input order."""
        out = np.empty((len(images), self.dim), dtype=np.float32)
        step = max(1, batch_size)
        for start in range(0, len(images), step):
            batch = np.stack([self.pixels(i) for i in images[start : start + step]])
            out[start : start + len(batch)] = self._run(batch)[1]
        return out

    def pixels(self, image: ImageInput) -> np.ndarray:
        """The model input for one image: float32 (3, 224, 224), RGB, (x - 127) / 128."""
        from PIL import Image as PILImage

        img = load_image(image)
        side = self.size
        if self.fit == "crop":
            scale = side / 0.875 / min(img.size)
            size = (max(side, round(img.width * scale)), max(side, round(img.height * scale)))
            img = img.resize(size, PILImage.Resampling.BICUBIC, reducing_gap=3.0)
            left, upper = (img.width - side) // 2, (img.height - side) // 2
            img = img.crop((left, upper, left + side, upper + side))
        else:
            img = img.resize((side, side), PILImage.Resampling.BICUBIC, reducing_gap=3.0)
        arr = (np.asarray(img, dtype=np.float32) - self.mean) / self.std
        return np.ascontiguousarray(arr.transpose(2, 0, 1))

    def _run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, features = self._session.run(["logits", "features"], {"pixels": batch})
        feats = np.asarray(features, dtype=np.float32)
        norms = np.linalg.norm(feats, axis=1, keepdims=True)
        return np.asarray(logits, dtype=np.float32), feats / np.clip(norms, 1e-12, None)

    def _top_labels(self, logits: np.ndarray, top: int) -> list[tuple[str, float]]:
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        merged: dict[str, float] = {}
        for index in np.argsort(-probs)[: top + 8]:
            name = self.class_names[int(index)]
            merged[name] = merged.get(name, 0.0) + float(probs[index])
        ranked = sorted(merged.items(), key=lambda kv: -kv[1])
        return [(name, round(p, 6)) for name, p in ranked[:top]]
