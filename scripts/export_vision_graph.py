"""EfficientNet-Lite0 as an ONNX graph, from a torch state dict read as numpy arrays.

`read_legacy_state` reads torch's legacy (pre-zip) checkpoint format with a restricted
unpickler: only ordered dicts, tensor rebuilds and storage references are allowed, and
storages are read as raw little-endian arrays. `build_graph` lays out the network the
way `efficientnet-lite-pytorch` builds it and folds each batch norm into its convolution.
"""

from __future__ import annotations

import collections
import math
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

BLOCKS = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]  # fmt: skip
"""Stages of EfficientNet-Lite0: (repeats, kernel, stride, expansion, in, out)."""
BN_EPS = 1e-3
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32,
          "DoubleStorage": np.float64, "HalfStorage": np.float16}  # fmt: skip


class _Storage:
    def __init__(self, dtype: type, numel: int) -> None:
        self.dtype, self.numel, self.data = np.dtype(dtype), numel, np.empty(0)


class _StateDict(collections.OrderedDict[str, Any]):
    """An ordered dict that accepts the attributes torch pickles on it (`_metadata`)."""


def _rebuild_tensor(
    storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> tuple[_Storage, int, tuple[int, ...], tuple[int, ...]]:
    return storage, offset, tuple(size), tuple(stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(handle)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return _StateDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in DTYPES:
            return DTYPES[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, dtype, key, _location, numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        return self.storages.setdefault(key, _Storage(dtype, int(numel)))


def read_legacy_state(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a legacy-format torch checkpoint, as a float32 array by name."""
    storages: dict[str, _Storage] = {}
    with path.open("rb") as handle:
        if pickle.load(handle) != LEGACY_MAGIC:  # noqa: S301 - a plain int, nothing else loads
            raise ValueError(f"{path} is not a legacy torch checkpoint")
        pickle.load(handle)  # noqa: S301 - protocol version (an int)
        pickle.load(handle)  # noqa: S301 - system info (a dict of ints and bools)
        state = _Unpickler(handle, storages).load()
        keys = _Unpickler(handle, storages).load()
        for key in keys:
            storage = storages[key]
            numel = int(np.frombuffer(handle.read(8), dtype="<i8")[0])
            raw = handle.read(numel * storage.dtype.itemsize)
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    tensors: dict[str, np.ndarray] = {}
    for name, (storage, offset, size, stride) in state.items():
        item = storage.data.itemsize
        view = np.lib.stride_tricks.as_strided(
            storage.data[offset:], shape=size, strides=[s * item for s in stride]
        )
        tensors[name] = np.array(view, dtype=np.float32)
    return tensors


class _Graph:
    """Collects nodes and initialisers; each weight taken from the state dict once."""

    def __init__(self, state: dict[str, np.ndarray], opset: int) -> None:
        import onnx

        self.onnx, self.state, self.opset = onnx, dict(state), opset
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0
        low, high = np.float32(0), np.float32(6)
        self.relu6 = [self.const("relu6_min", low), self.const("relu6_max", high)]

    def take(self, name: str) -> np.ndarray:
        if name not in self.state:
            raise ValueError(f"missing weight {name}")
        return self.state.pop(name)

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        self.count += 1
        out = f"{op.lower()}_{self.count}"
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv_bn(
        self, x: str, conv: str, bn: str, size: int, stride: int, groups: int = 1, kernel: int = 1
    ) -> str:
        """A "same"-padded convolution with its batch norm folded in."""
        weight = self.take(f"{conv}.weight")
        if weight.shape[-2:] != (kernel, kernel):
            raise ValueError(f"{conv} has a {weight.shape[-2:]} kernel, not {kernel}x{kernel}")
        gamma, beta = self.take(f"{bn}.weight"), self.take(f"{bn}.bias")
        mean, var = self.take(f"{bn}.running_mean"), self.take(f"{bn}.running_var")
        self.state.pop(f"{bn}.num_batches_tracked", None)
        scale = gamma / np.sqrt(var + BN_EPS)
        pad = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        w = self.const(f"{conv}.w", (weight * scale[:, None, None, None]).astype(np.float32))
        b = self.const(f"{conv}.b", (beta - mean * scale).astype(np.float32))
        return self.node("Conv", [x, w, b], kernel_shape=[kernel, kernel], group=groups,
                         strides=[stride, stride], pads=[pad // 2, pad // 2, pad - pad // 2,
                                                         pad - pad // 2])  # fmt: skip

    def act(self, x: str) -> str:
        return self.node("Clip", [x, *self.relu6])


def build_graph(state: dict[str, np.ndarray], image_size: int, opset: int) -> Any:
    """The ONNX model: `pixels` [N,3,S,S] -> `logits` [N,1000], pooled `features` [N,1280]."""
    g = _Graph(state, opset)
    onnx = g.onnx
    size = image_size
    x = g.act(g.conv_bn("pixels", "_conv_stem", "_bn0", size, 2, kernel=3))
    size = math.ceil(size / 2)
    index = 0
    for repeats, kernel, stride, expand, inp, out in BLOCKS:
        for r in range(repeats):
            block, step = f"_blocks.{index}", stride if r == 0 else 1
            channels = (inp if r == 0 else out) * expand
            h = x
            if expand != 1:
                h = g.act(g.conv_bn(h, f"{block}._expand_conv", f"{block}._bn0", size, 1))
            h = g.conv_bn(
                h, f"{block}._depthwise_conv", f"{block}._bn1", size, step, channels, kernel
            )
            h = g.act(h)
            size = math.ceil(size / step)
            h = g.conv_bn(h, f"{block}._project_conv", f"{block}._bn2", size, 1)
            if step == 1 and (inp if r == 0 else out) == out:
                h = g.node("Add", [h, x])
            x, index = h, index + 1
    x = g.act(g.conv_bn(x, "_conv_head", "_bn1", size, 1))
    pooled = g.node("Flatten", [g.node("GlobalAveragePool", [x])])
    g.nodes.append(onnx.helper.make_node("Identity", [pooled], ["features"]))
    fc_w, fc_b = g.const("_fc.w", g.take("_fc.weight")), g.const("_fc.b", g.take("_fc.bias"))
    g.nodes.append(onnx.helper.make_node("Gemm", [pooled, fc_w, fc_b], ["logits"], transB=1))
    if g.state:
        raise ValueError(f"unused weights {sorted(g.state)[:5]}")
    tensor = onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [onnx.helper.make_tensor_value_info("pixels", tensor,
                                            ["batch", 3, image_size, image_size])],
        [onnx.helper.make_tensor_value_info("logits", tensor, ["batch", 1000]),
         onnx.helper.make_tensor_value_info("features", tensor, ["batch", 1280])],
        g.inits,
    )  # fmt: skip
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
