"""Softmax over the last axis. Output scale 1/256, zero point -128 (probabilities).

Integer arithmetic per row with maximum m (runtime_c/include/tinyq.h has the C side):
    e_i = T[m - x_i],  T[d] = round(2^15 * exp(-s_in * d))  (T[0] = 2^15, so s >= 2^15)
    s = sum e_i;  r = floor(2^46 / s)   (shift-and-subtract on the device, no divide)
    y_i = min(((e_i * r + 2^37) >> 38) - 128, 127)
since e_i * r / 2^38 ~= 256 * e_i / s is the probability at scale 1/256.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops.base import Buf, CCall, Const, OpDef, register

SOFTMAX_OUT = QParams(1.0 / 256.0, -128)


@register
class Softmax(OpDef):
    name = "softmax"
    aten = ("aten._softmax.default", "aten.softmax.int")
    kernel_sources = ("softmax/tq_softmax_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        rank = ctx.rank(x)
        dim = int(fx_node.args[1]) % rank
        if rank == 4 or dim != rank - 1:
            raise TinyqError(f"{ctx.where(fx_node)}: softmax is supported over the last "
                             "axis of an (N, F) or (N, T, F) tensor only")
        if ctx.tensors[x].shape[-1] > 65536:
            raise TinyqError(f"{ctx.where(fx_node)}: softmax over more than 65536 values")
        ctx.add_node(fx_node, "softmax", [x], {})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return torch.softmax(inputs[0], dim=-1)

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return SOFTMAX_OUT

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        d = np.arange(256, dtype=np.float64)
        table = np.floor((1 << 15) * np.exp(-in_q[0].scale * d) + 0.5).astype(np.uint16)
        return {"exp_table": table}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        x = inputs[0].astype(np.int64)
        e = node.qattrs["exp_table"].astype(np.int64)[x.max(axis=-1, keepdims=True) - x]
        s = e.sum(axis=-1, keepdims=True)
        r = (np.int64(1) << 46) // s
        y = ((e * r + (np.int64(1) << 37)) >> 38) - 128
        return np.minimum(y, 127).astype(np.int8)

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        shape = graph.tensors[node.output].shape
        params = {"rows": int(np.prod(shape[:-1])), "cols": shape[-1],
                  "exp_table": Const("exp", "uint16_t", node.qattrs["exp_table"])}
        return [CCall("tq_softmax_s8", [Buf("in"), Buf("out")], "tq_softmax_params", params)]
