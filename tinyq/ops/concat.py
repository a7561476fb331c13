"""Concatenation along any non-batch axis; each input rescaled into the output's scale.

For IR shape S and axis a, the tensor is [outer][inner] with outer = prod(S[:a]) and
inner = prod(S[a:]); input k is copied into columns [offset_k, offset_k + inner_k) of
every output row:
    y = clamp(z_out + requant(x - z_k, b_k, c_k), -128, 127)   (M_k = s_k / s_out)
An input already at the output's scale and zero point is a plain copy (mult = 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from tinyq.frontend.lower_context import ir_axis
from tinyq.ir import Graph, Node, QParams
from tinyq.ops.base import Buf, CCall, OpDef, register
from tinyq.quant.dyadic import dyadic
from tinyq.sim.arith import clamp_s8, requant


@register
class Concat(OpDef):
    name = "concat"
    aten = ("aten.cat.default",)
    kernel_sources = ("movement/tq_concat_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        parts = [ctx.tensor(t) for t in fx_node.args[0]]
        dim = fx_node.args[1] if len(fx_node.args) > 1 else fx_node.kwargs.get("dim", 0)
        axis = ir_axis(int(dim), ctx.rank(parts[0]), ctx.where(fx_node))
        ctx.add_node(fx_node, "concat", parts, {"axis": axis})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return torch.cat(inputs, dim=node.attrs["axis"] + 1)

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        parts = []
        for q in in_q:
            same = q.scale == out_q.scale and q.zero_point == out_q.zero_point
            mult, shift = (0, 1) if same else dyadic(q.scale / out_q.scale)
            parts.append({"in_zp": q.zero_point, "mult": mult, "shift": shift})
        return {"parts": parts, "out_zp": out_q.zero_point}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        outs = []
        for x, part in zip(inputs, node.qattrs["parts"]):
            if part["mult"] == 0:
                outs.append(x)
                continue
            y = node.qattrs["out_zp"] + requant(x.astype(np.int64) - part["in_zp"],
                                                part["mult"], part["shift"])
            outs.append(clamp_s8(y))
        return np.concatenate(outs, axis=node.attrs["axis"] + 1)

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        axis = node.attrs["axis"]
        out = graph.tensors[node.output].shape
        outer = math.prod(out[:axis])
        offset, calls = 0, []
        for i, (name, part) in enumerate(zip(node.inputs, node.qattrs["parts"])):
            inner = math.prod(graph.tensors[name].shape[axis:])
            params = {"outer": outer, "in_inner": inner, "out_inner": math.prod(out[axis:]),
                      "out_offset": offset, "in_zp": part["in_zp"],
                      "out_zp": node.qattrs["out_zp"], "mult": part["mult"],
                      "shift": part["shift"]}
            calls.append(CCall("tq_concat_s8", [Buf("in", i), Buf("out")],
                               "tq_concat_params", params))
            offset += inner
        return calls
