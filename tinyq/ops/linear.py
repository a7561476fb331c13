"""Linear (fully connected) over the last axis, any number of leading rows.

Weights [out][in]. Integer arithmetic per row r and output o:
    acc = bias'[o] + sum_i w[o,i] * x[r,i];  y = clamp(z_out + requant(acc, b[o], c[o]))
A Linear fed by a flattened feature map reads it in memory (HWC) order: the pass
fix_flatten_order permutes its weight columns offline so no reorder runs on device.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import (apply_act, in_shape, layer_params, out_shape, requant_tail,
                               weight_kernel)
from tinyq.ops.base import Buf, CCall, OpDef, register
from tinyq.quant.weights import WeightQuant, quantize_layer
from tinyq.sim.arith import matmul_exact


@register
class Linear(OpDef):
    name = "linear"
    aten = ("aten.linear.default",)
    kernel_sources = ("fc/tq_fc_s8.c", "fc/tq_fc_s8s4.c")
    weighted = True

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        if ctx.rank(x) == 4:
            raise TinyqError(f"{ctx.where(fx_node)}: Linear on a 4-D tensor (over its width "
                             "axis) is not supported; flatten first")
        weight = ctx.const(fx_node.args[1], fx_node)
        bias = ctx.const(fx_node.args[2] if len(fx_node.args) > 2 else None, fx_node)
        if bias is None:
            bias = np.zeros(weight.shape[0])
        ctx.add_node(fx_node, "linear", [x], {"act": None}, {"weight": weight, "bias": bias})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        x = inputs[0]
        w = torch.as_tensor(node.params["weight"], dtype=x.dtype)
        b = torch.as_tensor(node.params["bias"], dtype=x.dtype)
        return apply_act(F.linear(x, w, b), node.attrs["act"])

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams,
                 how: WeightQuant = WeightQuant()) -> dict[str, Any]:
        # weight [o, i] reads input feature i: the mean vector broadcasts as it is
        return quantize_layer(node.params["weight"], node.params["bias"], 0, in_q[0], out_q,
                              node.attrs["act"], how, how.in_mean,
                              how.rounding.levels if how.rounding else None)

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        x = inputs[0]
        wq = node.qattrs["weights"]
        acc = matmul_exact(x.reshape(-1, wq.shape[1]), wq.T) + node.qattrs["bias"]
        return requant_tail(acc, node).reshape(x.shape[:-1] + (wq.shape[0],))

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        shape = in_shape(node, graph)
        wq = node.qattrs["weights"]
        params = {"rows": math.prod(shape[:-1]), "in_features": wq.shape[1],
                  "out_features": wq.shape[0], **layer_params(node)}
        return [CCall(weight_kernel("tq_fc", node), [Buf("in"), Buf("out")], "tq_fc_params",
                      params)]

    def macs(self, node: Node, graph: Graph) -> int:
        shape = out_shape(node, graph)
        return math.prod(shape) * in_shape(node, graph)[-1]
