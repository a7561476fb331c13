"""Small helpers the op modules share: layout moves for float references and the
requantize-and-clamp tail every weighted integer reference ends with."""

from __future__ import annotations

import numpy as np
import torch

from tinyq.ir import Graph, Node
from tinyq.ops.base import RowWindow
from tinyq.quant.int4 import pack_int4
from tinyq.sim.arith import clamp_s8, requant


def to_nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)


def to_nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1).contiguous()


def apply_act(x: torch.Tensor, act: tuple[float, float] | None) -> torch.Tensor:
    if act is None:
        return x
    return torch.clamp(x, min=act[0], max=act[1])


def in_shape(node: Node, graph: Graph, index: int = 0) -> tuple[int, ...]:
    return graph.tensors[node.inputs[index]].shape


def out_shape(node: Node, graph: Graph) -> tuple[int, ...]:
    return graph.tensors[node.output].shape


def requant_tail(acc: np.ndarray, node: Node) -> np.ndarray:
    """acc (..., out_c) int64 -> int8 with the node's per-channel multipliers and clamp."""
    q = node.qattrs
    y = q["out_zp"] + requant(acc, q["mult"], q["shift"])
    return clamp_s8(y, q["act_min"], q["act_max"])


def conv_row_window(node: Node, graph: Graph) -> RowWindow | None:
    """Conv-like layers run in place by rows when they step one row down the input and an
    output row has the bytes of an input row (same height; e.g. 3x3 same-padded
    depthwise, 1x1 with as many output channels as input channels)."""
    a = node.attrs
    ih, iw, ic = in_shape(node, graph)
    oh, ow, oc = out_shape(node, graph)
    if a["stride"][0] != 1 or oh != ih or ow * oc != iw * ic:
        return None
    # Fast kernels work on pixel pairs: an odd row alone leaves a slow single pixel per
    # call. A 1x1 layer (no rows above to wait for) takes two rows per call at the cost
    # of one more ring row.
    per_call = 2 if a["pads"][0] == 0 and ow % 2 == 1 and oh > 1 else 1
    return RowWindow(ih, (a["kernel"][0] - 1) * a["dilation"][0] + 1, a["pads"][0], iw * ic,
                     per_call)


def weight_kernel(stem: str, node: Node) -> str:
    """The kernel for the layer's weight width: `<stem>_s8`, or `<stem>_s8s4` (int8
    activations, int4 weights packed two per byte)."""
    return f"{stem}_s8s4" if node.qattrs.get("weight_bits", 8) == 4 else f"{stem}_s8"


def layer_params(node: Node) -> dict[str, object]:
    """The requantization fields shared by every weighted kernel's params struct. int4
    weights go to flash packed (DESIGN.md section 3); the simulator reads them unpacked."""
    from tinyq.ops.base import Const

    q = node.qattrs
    weights = q["weights"]
    if q.get("weight_bits", 8) == 4:
        weights = pack_int4(weights)
    return {
        "out_zp": q["out_zp"],
        "act_min": q["act_min"],
        "act_max": q["act_max"],
        "weights": Const("w", "int8_t", weights),
        "bias": Const("b", "int32_t", q["bias"]),
        "mult": Const("m", "int32_t", q["mult"]),
        "shift": Const("s", "int8_t", q["shift"]),
    }


def pad_window(x: np.ndarray, pads: tuple[int, int], ks: tuple[int, int],
               strides: tuple[int, int], dils: tuple[int, int],
               out_hw: tuple[int, int], value: int) -> np.ndarray:
    """Pad an (N, H, W, C) array so every output window lies inside it: top / left by the
    given padding, bottom / right by exactly what the last window needs (out_h / out_w
    decide that, as in the C kernels). Padding reads `value` (the input zero point)."""
    _, h, w, _ = x.shape
    need_h = (out_hw[0] - 1) * strides[0] + dils[0] * (ks[0] - 1) + 1
    need_w = (out_hw[1] - 1) * strides[1] + dils[1] * (ks[1] - 1) + 1
    bottom = max(0, need_h - h - pads[0])
    right = max(0, need_w - w - pads[1])
    return np.pad(x, ((0, 0), (pads[0], bottom), (pads[1], right), (0, 0)),
                  constant_values=value)


def window(xp: np.ndarray, ky: int, kx: int, strides: tuple[int, int],
           dils: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """The (N, out_h, out_w, C) slice that kernel tap (ky, kx) reads."""
    y0, x0 = ky * dils[0], kx * dils[1]
    return xp[:, y0:y0 + (out_hw[0] - 1) * strides[0] + 1:strides[0],
              x0:x0 + (out_hw[1] - 1) * strides[1] + 1:strides[1], :]
