"""MaxPool2d (PyTorch semantics: padding never wins, dilation, ceil_mode via the output
size). Max commutes with the monotonic int8 mapping, so the output keeps the input's scale
and zero point and the integer result is exact; a fused ReLU clamps at z."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import apply_act, out_shape, pad_window, to_nchw, to_nhwc
from tinyq.ops._common import window
from tinyq.ops._pool import arg, pair, pool_geometry
from tinyq.ops.base import Buf, CCall, OpDef, register
from tinyq.quant.weights import act_range
from tinyq.sim.arith import clamp_s8


@register
class MaxPool2d(OpDef):
    name = "maxpool2d"
    aten = ("aten.max_pool2d_with_indices.default", "aten.max_pool2d.default")
    kernel_sources = ("pool/tq_maxpool2d_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        if ctx.rank(x) != 4:
            raise TinyqError(f"{ctx.where(fx_node)}: only 2-D max pooling is supported")
        kernel = pair(arg(fx_node, 1, "kernel_size", None))
        attrs = {"kernel": kernel,
                 "stride": pair(arg(fx_node, 2, "stride", None), kernel),
                 "padding": pair(arg(fx_node, 3, "padding", 0)),
                 "dilation": pair(arg(fx_node, 4, "dilation", 1)),
                 "ceil_mode": bool(arg(fx_node, 5, "ceil_mode", False)),
                 "act": None}
        val = fx_node.meta["val"]
        shape = tuple(int(d) for d in (val[0] if isinstance(val, (tuple, list)) else val).shape)
        ctx.add_node(fx_node, "maxpool2d", [x], attrs, torch_shape=shape)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        a = node.attrs
        y = F.max_pool2d(to_nchw(inputs[0]), a["kernel"], a["stride"], a["padding"],
                         a["dilation"], ceil_mode=a["ceil_mode"])
        return apply_act(to_nhwc(y), a["act"])

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[0]

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        lo, hi = act_range(out_q, node.attrs["act"])
        return {"act_min": lo, "act_max": hi}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        a = node.attrs
        out_hw = out_shape(node, graph)[:2]
        # -129 is below every int8, so a padded position never wins.
        xp = pad_window(inputs[0].astype(np.int16), a["padding"], a["kernel"], a["stride"],
                        a["dilation"], out_hw, -129)
        best = None
        for ky in range(a["kernel"][0]):
            for kx in range(a["kernel"][1]):
                tap = window(xp, ky, kx, a["stride"], a["dilation"], out_hw)
                best = tap if best is None else np.maximum(best, tap)
        return clamp_s8(best, node.qattrs["act_min"], node.qattrs["act_max"])

    def writes_behind_reads(self, node: Node, graph: Graph) -> bool:
        return tuple(node.attrs["padding"]) == (0, 0)  # a padded window reads back up-left

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        a = node.attrs
        params = {**pool_geometry(node, graph),
                  "pad_top": a["padding"][0], "pad_left": a["padding"][1],
                  "dil_h": a["dilation"][0], "dil_w": a["dilation"][1],
                  "act_min": node.qattrs["act_min"],
                  "act_max": node.qattrs["act_max"]}
        return [CCall("tq_maxpool2d_s8", [Buf("in"), Buf("out")], "tq_maxpool2d_params",
                      params)]
