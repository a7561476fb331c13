"""Depthwise Conv2d (groups == in_c) with channel multiplier; lowered by ops/conv2d.py.

Weights in the "1HWC" layout [kh][kw][out_c]; output channel o reads input channel
o // mult (PyTorch's group order). Integer arithmetic per output (oy, ox, o):
    acc = bias'[o] + sum_{ky,kx} w[ky,kx,o] * x[iy, ix, o // mult]  (x = z_in outside)
    y = clamp(z_out + requant(acc, b[o], c[o]), act_min, act_max)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import (conv_row_window, in_shape, layer_params, out_shape, pad_window,
                               requant_tail, weight_kernel, window)
from tinyq.ops.base import Buf, CCall, OpDef, RowWindow, register
from tinyq.ops.conv2d import conv_float, geometry
from tinyq.quant.weights import WeightQuant, quantize_layer


@register
class DwConv2d(OpDef):
    name = "dwconv2d"
    kernel_sources = ("conv/tq_dwconv2d_s8.c", "conv/tq_dwconv2d_s8s4.c")
    weighted = True

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return conv_float(node, inputs[0])

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams,
                 how: WeightQuant = WeightQuant()) -> dict[str, Any]:
        w_hwc = node.params["weight"][:, 0].transpose(1, 2, 0)  # (O,1,kh,kw) -> (kh,kw,O)
        mean_w = None
        if how.in_mean is not None:  # output channel o reads input channel o // mult
            oc = w_hwc.shape[2]
            mean_w = how.in_mean[np.arange(oc) // (oc // how.in_mean.shape[0])]
        levels = how.rounding.levels if how.rounding else None
        return quantize_layer(w_hwc, node.params["bias"], 2, in_q[0], out_q,
                              node.attrs["act"], how, mean_w,
                              None if levels is None else levels[:, 0].transpose(1, 2, 0))

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        a, q = node.attrs, node.qattrs
        wq = q["weights"].astype(np.int64)  # (kh, kw, O)
        kh, kw, oc = wq.shape
        x = inputs[0]
        mult = oc // x.shape[3]
        out_hw = out_shape(node, graph)[:2]
        xp = pad_window(x, a["pads"][:2], a["kernel"], a["stride"], a["dilation"], out_hw,
                        q["in_zp"])
        if mult > 1:
            xp = np.repeat(xp, mult, axis=3)
        acc = np.zeros((x.shape[0], out_hw[0], out_hw[1], oc), dtype=np.int64)
        for ky in range(kh):
            for kx in range(kw):
                acc += window(xp, ky, kx, a["stride"], a["dilation"], out_hw) * wq[ky, kx]
        return requant_tail(acc + q["bias"], node)

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        geo = geometry(node, graph)
        params = {**geo, "ch_mult": geo["out_c"] // geo["in_c"],
                  "in_zp": node.qattrs["in_zp"], **layer_params(node)}
        return [CCall(weight_kernel("tq_dwconv2d", node), [Buf("in"), Buf("out")],
                      "tq_dwconv2d_params", params)]

    def row_window(self, node: Node, graph: Graph) -> RowWindow | None:
        return conv_row_window(node, graph)

    def macs(self, node: Node, graph: Graph) -> int:
        oh, ow, oc = out_shape(node, graph)
        kh, kw = node.attrs["kernel"]
        return oh * ow * oc * kh * kw

    def in_channels(self, node: Node, graph: Graph) -> int:
        return in_shape(node, graph)[2]
