"""Add of two same-shape tensors (residual joins), each with its own scale.

Integer arithmetic, one rounding (DESIGN.md section 3): with M_i = s_i / s_out written
as b_i / 2^c over one shared shift c (quant/dyadic.dyadic_common),
    acc = (a - z_a) * b_a + (b - z_b) * b_b          (64-bit)
    y = clamp(z_out + ((acc + 2^(c-1)) >> c), act_min, act_max)
|a - z| <= 255 and b_i < 2^31 keep acc below 2^40.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import apply_act
from tinyq.ops.base import Buf, CCall, OpDef, register
from tinyq.quant.dyadic import dyadic_common
from tinyq.quant.weights import act_range
from tinyq.sim.arith import clamp_s8


@register
class Add(OpDef):
    name = "add"
    aten = ("aten.add.Tensor",)
    inplace_inputs = (0, 1)
    kernel_sources = ("elementwise/tq_add_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        a, b = fx_node.args[:2]
        where = ctx.where(fx_node)
        if not (ctx.is_tensor(a) and ctx.is_tensor(b)):
            raise TinyqError(f"{where}: adding a constant is not supported (only tensor + "
                             "tensor, as in residual connections)")
        if fx_node.kwargs.get("alpha", 1) != 1:
            raise TinyqError(f"{where}: add with alpha != 1 is not supported")
        ta, tb = ctx.tensor(a), ctx.tensor(b)
        if ctx.tensors[ta].shape != ctx.tensors[tb].shape:
            raise TinyqError(f"{where}: broadcasting add of shapes {ctx.shape_of(a)} and "
                             f"{ctx.shape_of(b)} is not supported")
        ctx.add_node(fx_node, "add", [ta, tb], {"act": None})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return apply_act(inputs[0] + inputs[1], node.attrs["act"])

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        (m1, m2), shift = dyadic_common([in_q[0].scale / out_q.scale,
                                         in_q[1].scale / out_q.scale])
        lo, hi = act_range(out_q, node.attrs["act"])
        return {"in1_zp": in_q[0].zero_point, "in2_zp": in_q[1].zero_point,
                "mult1": m1, "mult2": m2, "shift": shift, "out_zp": out_q.zero_point,
                "act_min": lo, "act_max": hi}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        q = node.qattrs
        a = inputs[0].astype(np.int64) - q["in1_zp"]
        b = inputs[1].astype(np.int64) - q["in2_zp"]
        acc = a * q["mult1"] + b * q["mult2"]
        y = q["out_zp"] + ((acc + (1 << (q["shift"] - 1))) >> q["shift"])
        return clamp_s8(y, q["act_min"], q["act_max"])

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        params = {"size": graph.tensors[node.output].size, **node.qattrs}
        return [CCall("tq_add_s8", [Buf("in", 0), Buf("in", 1), Buf("out")],
                      "tq_add_params", params)]
