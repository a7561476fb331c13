"""Elementwise activations: ReLU, ReLU6 / Hardtanh / clamp, Sigmoid, Tanh, Hardswish,
Hardsigmoid, SiLU, GELU.

Clamp-like ones are folded into the producer's act_min / act_max by fuse_activation where
it has one. Whatever is left runs as a 256-entry lookup table computed offline:
    table[q + 128] = clamp(round(f(s_in * (q - z_in)) / s_out) + z_out, -128, 127)
which is exact for any function of one int8 tensor.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops.base import Buf, Const, CCall, OpDef, register

FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "relu": lambda x, a: torch.relu(x),
    "clamp": lambda x, a: torch.clamp(x, min=a["lo"], max=a["hi"]),
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
    "hardswish": lambda x, a: F.hardswish(x),
    "hardsigmoid": lambda x, a: F.hardsigmoid(x),
    "silu": lambda x, a: F.silu(x),
    "gelu": lambda x, a: F.gelu(x, approximate=a["approximate"]),
}

ATEN_FUNCTION = {
    "aten.relu.default": "relu",
    "aten.hardtanh.default": "clamp",
    "aten.clamp.default": "clamp",
    "aten.sigmoid.default": "sigmoid",
    "aten.tanh.default": "tanh",
    "aten.hardswish.default": "hardswish",
    "aten.hardsigmoid.default": "hardsigmoid",
    "aten.silu.default": "silu",
    "aten.gelu.default": "gelu",
}


def clamp_bounds(node: Node) -> tuple[float, float] | None:
    """The (lo, hi) real interval of a clamp-like activation, else None."""
    fn = node.attrs["fn"]
    if fn == "relu":
        return 0.0, float("inf")
    if fn == "clamp":
        return node.attrs["lo"], node.attrs["hi"]
    return None


@register
class Activation(OpDef):
    name = "activation"
    aten = tuple(ATEN_FUNCTION)
    inplace_inputs = (0,)
    kernel_sources = ("elementwise/tq_lut_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        fn = ATEN_FUNCTION[str(fx_node.target)]
        attrs: dict[str, Any] = {"fn": fn}
        args = list(fx_node.args)
        if fn == "clamp":
            hardtanh = str(fx_node.target) == "aten.hardtanh.default"
            names = ("min_val", "max_val") if hardtanh else ("min", "max")
            defaults = (-1.0, 1.0) if hardtanh else (None, None)
            lo, hi = (args[i + 1] if len(args) > i + 1 else fx_node.kwargs.get(names[i],
                                                                              defaults[i])
                      for i in range(2))
            if not all(v is None or isinstance(v, (int, float)) for v in (lo, hi)):
                raise TinyqError(f"{ctx.where(fx_node)}: clamp bounds must be constants")
            attrs["lo"] = float("-inf") if lo is None else float(lo)
            attrs["hi"] = float("inf") if hi is None else float(hi)
        if fn == "gelu":
            attrs["approximate"] = fx_node.kwargs.get("approximate", "none")
        ctx.add_node(fx_node, "activation", [ctx.tensor(args[0])], attrs)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return FUNCTIONS[node.attrs["fn"]](inputs[0], node.attrs)

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        q = np.arange(-128, 128, dtype=np.float64)
        real = torch.as_tensor(in_q[0].scale * (q - in_q[0].zero_point))
        f = FUNCTIONS[node.attrs["fn"]](real, node.attrs).numpy()
        if not np.all(np.isfinite(f)):
            raise TinyqError(f"{node.where()}: activation is not finite on the input range")
        return {"table": out_q.quantize(f)}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        return node.qattrs["table"][inputs[0].astype(np.int64) + 128]

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        size = graph.tensors[node.output].size
        table = Const("lut", "int8_t", node.qattrs["table"])
        return [CCall("tq_lut_s8", [Buf("in"), Buf("out"), size, table])]
