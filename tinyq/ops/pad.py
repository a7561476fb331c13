"""Constant padding of a feature map (ZeroPad2d, F.pad on H / W).

A zero pad feeding a convolution is folded into the convolution's own padding by the pass
fold_padding (free: the kernel pads with z_in anyway). One that stays is a copy into a
larger buffer filled with the padding value quantized with the input's parameters (the
output keeps them: zero maps to z_in exactly)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import in_shape, out_shape, to_nchw, to_nhwc
from tinyq.ops.base import Buf, CCall, OpDef, register


@register
class Pad(OpDef):
    name = "pad"
    aten = ("aten.constant_pad_nd.default",)
    kernel_sources = ("movement/tq_pad_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        pads = [int(p) for p in fx_node.args[1]]
        value = float(fx_node.args[2]) if len(fx_node.args) > 2 else 0.0
        where = ctx.where(fx_node)
        if ctx.rank(x) != 4 or len(pads) not in (2, 4):
            raise TinyqError(f"{where}: only padding of H and W of an (N, C, H, W) tensor "
                             "is supported")
        if min(pads) < 0:
            raise TinyqError(f"{where}: negative padding (cropping) is not supported")
        left, right = pads[0], pads[1]
        top, bottom = (pads[2], pads[3]) if len(pads) == 4 else (0, 0)
        ctx.add_node(fx_node, "pad", [x], {"pads": (top, left, bottom, right),
                                           "value": value})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        top, left, bottom, right = node.attrs["pads"]
        y = F.pad(to_nchw(inputs[0]), (left, right, top, bottom), value=node.attrs["value"])
        return to_nhwc(y)

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[0]

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        return {"value": int(in_q[0].quantize(np.array(node.attrs["value"])))}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        top, left, bottom, right = node.attrs["pads"]
        return np.pad(inputs[0], ((0, 0), (top, bottom), (left, right), (0, 0)),
                      constant_values=node.qattrs["value"])

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        ih, iw, c = in_shape(node, graph)
        oh, ow, _ = out_shape(node, graph)
        top, left, _, _ = node.attrs["pads"]
        params = {"in_h": ih, "in_w": iw, "c": c, "out_h": oh, "out_w": ow,
                  "pad_top": top, "pad_left": left, "value": node.qattrs["value"]}
        return [CCall("tq_pad_s8", [Buf("in"), Buf("out")], "tq_pad_params", params)]
