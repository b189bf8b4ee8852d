"""The images suite: label precision on photos of known subjects, and recall@k of an original
photo among visually similar items when the query is a cropped and recoloured copy.

The photos are scikit-image's bundled samples (real photographs, installed by
`scripts/setup_vision.sh`). Every photo is indexed in a temporary `ImageIndex`; each is
then queried with three altered copies (crop + hue rotation, crop + washed-out warm
tone, crop + swapped colour channels). Metrics per photo:

- `label_top1`: the top label names the photo's subject (photos with a known subject);
- `label_precision`: the share of the labels that `search_text()` uses (the salient
  ones) that name the subject (0 when it uses none);
- `label_abstain`: on photos without such a subject, how often `search_text()` uses
  no label at all (the alternative is searching for a wrong object);
- `recall@1`, `recall@3`: how often the original is among the top 1 / 3 similar items;
- `margin@1`: the original's cosine similarity minus the best other item's (how safely
  it wins; negative when it loses).

Each metric is averaged over the photos it applies to; latency is the decode and one
forward pass of the original photo.
"""

from __future__ import annotations

import asyncio
import importlib.util
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evals.beir import DatasetError
from evals.report import CaseResult, ConfigResult, Report, summarize
from evals.suites import EvalContext, SuiteSpec, build_report, choose, select

if TYPE_CHECKING:
    from PIL.Image import Image

    from tools.image_index import SimilarImage
    from tools.vision import Fit, VisionModel

METRICS = ["label_top1", "label_precision", "label_abstain", "recall@1", "recall@3", "margin@1"]
SUBJECTS: dict[str, frozenset[str]] = {
    "coffee.png": frozenset({"espresso", "cup", "tea cup", "coffee mug", "coffeepot"}),
    "chelsea.png": frozenset({"tabby cat", "tiger cat", "egyptian mau", "persian cat"}),
    "rocket.jpg": frozenset({"missile", "projectile", "space shuttle"}),
    "camera.png": frozenset({"tripod", "reflex camera", "polaroid camera"}),
    "motorcycle_left.png": frozenset({"moped", "motor scooter"}),
}
"""Photos with a subject ImageNet can name, and the labels that name it (lowercase)."""
DISTRACTORS = (
    "astronaut.png", "hubble_deep_field.jpg", "retina.jpg", "coins.png", "moon.png",
    "brick.png", "grass.png", "gravel.png", "page.png", "ihc.png", "logo.png",
)  # fmt: skip
"""Further real photos without such a subject: indexed, queried, not label-scored."""
CONFIGS: dict[str, Fit] = {"lite0-crop": "crop", "lite0-squash": "squash"}


def label_precision(labels: Sequence[str], subject: frozenset[str]) -> float:
    """The share of `labels` that name the subject (0 when there are none)."""
    return sum(label.lower() in subject for label in labels) / len(labels) if labels else 0.0


def recall_at(ranked: Sequence[str], target: str, k: int) -> float:
    """1.0 when `target` is among the first `k` of `ranked`."""
    return float(target in ranked[:k])


def margin(hits: Sequence[SimilarImage], target: str) -> float:
    """Similarity of `target` minus the best similarity of any other item."""
    own = max((h.similarity for h in hits if h.id == target), default=0.0)
    other = max((h.similarity for h in hits if h.id != target), default=0.0)
    return own - other


def variants(img: Image) -> Iterator[tuple[str, Image]]:
    """Three cropped and recoloured copies of `img`."""
    from PIL import Image as PILImage
    from PIL import ImageEnhance

    w, h = img.size
    crop = img.crop((int(w * 0.1), int(h * 0.05), int(w * 0.85), int(h * 0.9)))
    hue, sat, val = crop.convert("HSV").split()
    yield "crop+hue", PILImage.merge("HSV", (hue.point(lambda x: (x + 85) % 256), sat, val))
    warm = img.crop((0, int(h * 0.15), int(w * 0.8), h))
    yield "crop+warm", ImageEnhance.Color(ImageEnhance.Brightness(warm).enhance(1.2)).enhance(0.5)
    red, green, blue = img.crop((int(w * 0.05), 0, w, int(h * 0.8))).split()
    yield "crop+swap", PILImage.merge("RGB", (blue, red, green))


def sample_dir() -> Path:
    """scikit-image's sample photo folder, found without importing the package."""
    spec = importlib.util.find_spec("skimage")
    locations = list(spec.submodule_search_locations or []) if spec else []
    folder = Path(locations[0]) / "data" if locations else None
    if folder is None or not (folder / "coffee.png").is_file():
        raise DatasetError(
            "scikit-image's sample photos are not installed: run `bash scripts/setup_vision.sh`."
        )
    return folder


def evaluate(vision: VisionModel, photos: dict[str, Path], index_dir: Path) -> list[CaseResult]:
    """Score every photo under one model configuration."""
    from tools.catalog import Product
    from tools.image_index import ImageIndex
    from tools.image_query import ImageLabel, ImageSignals
    from tools.vision import load_image

    index = ImageIndex(index_dir, vision)
    try:
        report = index.add([Product(id=n, title=n, image_url=str(p)) for n, p in photos.items()])
        if report.skipped:
            raise DatasetError(f"sample photos could not be indexed: {report.skipped}")
        results: list[CaseResult] = []
        for name, path in photos.items():
            start = time.perf_counter()
            picture = load_image(path)
            labels = vision.analyze(picture, 5).labels
            latency = (time.perf_counter() - start) * 1000
            metrics: dict[str, float] = {}
            subject = SUBJECTS.get(name)
            salient = ImageSignals(
                labels=[ImageLabel(name=n, score=min(1.0, s)) for n, s in labels]
            ).salient_labels()
            if subject is not None:
                metrics["label_top1"] = label_precision([labels[0][0]], subject)
                metrics["label_precision"] = label_precision(salient, subject)
            else:
                metrics["label_abstain"] = float(not salient)
            found = {kind: index.similar(vision.embed(copy), k=len(photos))
                     for kind, copy in variants(picture)}  # fmt: skip
            ranked = {kind: [h.id for h in hits] for kind, hits in found.items()}
            for k in (1, 3):
                hits = [recall_at(r, name, k) for r in ranked.values()]
                metrics[f"recall@{k}"] = sum(hits) / len(hits)
            metrics["margin@1"] = sum(margin(h, name) for h in found.values()) / len(found)
            detail = {"labels": [f"{n} {s:.2f}" for n, s in labels[:3]], "salient": salient}
            results.append(
                CaseResult(id=name, metrics=metrics, latency_ms=round(latency, 1),
                           detail={**detail, **{k: v[0] for k, v in ranked.items()}})
            )  # fmt: skip
        return results
    finally:
        index.close()


def summary(cases: list[CaseResult]) -> dict[str, float]:
    """Each quality metric averaged over the cases it applies to, plus the usual rows."""
    figures = summarize(cases, [])
    for metric in METRICS:
        values = [c.metrics[metric] for c in cases if metric in c.metrics]
        figures[metric] = sum(values) / len(values) if values else 0.0
    return figures


async def run(ctx: EvalContext, configs: Sequence[str]) -> Report:
    """Run the chosen preprocessing configurations over the sample photos."""
    from tools.vision import VisionModel, VisionUnavailable, find_model_dir

    chosen = choose(CONFIGS, configs, tuple(CONFIGS))
    folder = Path(ctx.dataset) if ctx.dataset else sample_dir()
    names = select([*SUBJECTS, *DISTRACTORS], ctx.limit, ctx.seed)
    photos = {n: folder / n for n in names if (folder / n).is_file()}
    model_dir = find_model_dir(ctx.settings.models_dir)
    results: list[ConfigResult] = []
    for name, fit in chosen.items():
        start = time.perf_counter()
        try:
            if model_dir is None:
                raise VisionUnavailable("run `bash scripts/setup_vision.sh` to install the model")
            vision = VisionModel(model_dir, fit=fit)
            with tempfile.TemporaryDirectory(prefix="tessera-images-eval-") as tmp:
                cases = await asyncio.to_thread(evaluate, vision, photos, Path(tmp))
        except (VisionUnavailable, DatasetError) as exc:
            results.append(ConfigResult(name=name, error=str(exc)))
            continue
        results.append(
            ConfigResult(name=name, description=f"EfficientNet-Lite0 ONNX, fit={fit}",
                         summary=summary(cases), cases=cases,
                         elapsed_s=round(time.perf_counter() - start, 3))
        )  # fmt: skip
    return build_report(
        ctx, suite="images", dataset="scikit-image sample photos", metrics=METRICS,
        primary="recall@1", configs=results,
        params={"photos": len(photos), "labelled": sum(n in SUBJECTS for n in photos),
                "variants_per_photo": 3},
    )  # fmt: skip


SUITE = SuiteSpec(
    name="images",
    summary="image labels' precision on known subjects; recall@k of originals from altered copies",
    run=run,
    configs=lambda: list(CONFIGS),
    default_configs=tuple(CONFIGS),
)
