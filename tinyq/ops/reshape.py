"""Reshape / view / flatten / squeeze / unsqueeze: no kernel, the output aliases the input.

Memory is channels last, so flattening an (H, W, C) map with H * W > 1 yields the
features in HWC order where PyTorch has CHW. The node records that (`hwc_from`); the pass
fix_flatten_order then permutes the weights of a Linear that reads it, or inserts an
explicit hwc_to_chw reorder where something else does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops.base import OpDef, register


def lower_reshape(fx_node: Any, ctx: Any, source: str) -> None:
    """Add a reshape of IR tensor `source` to the output shape of `fx_node`."""
    out_torch = ctx.shape_of(fx_node)
    src = ctx.tensors[source]
    attrs: dict[str, Any] = {"hwc_from": None}
    spatial_in = ctx.rank(source) == 4 and src.shape[0] * src.shape[1] > 1
    spatial_out = len(out_torch) == 4 and out_torch[2] * out_torch[3] > 1
    if spatial_in and spatial_out:
        if tuple(out_torch[1:]) != (src.shape[2], src.shape[0], src.shape[1]):
            raise TinyqError(f"{ctx.where(fx_node)}: reshaping a feature map "
                             f"{ctx.shape_of(fx_node.args[0])} to {out_torch} is not "
                             "supported")
    elif spatial_in:
        attrs["hwc_from"] = tuple(src.shape)
    elif spatial_out:
        raise TinyqError(f"{ctx.where(fx_node)}: reshaping to a feature map {out_torch} "
                         "is not supported (memory is channels last)")
    ctx.add_node(fx_node, "reshape", [source], attrs, torch_shape=out_torch)


@register
class Reshape(OpDef):
    name = "reshape"
    aten = ("aten.view.default", "aten._unsafe_view.default", "aten.reshape.default",
            "aten.squeeze.dims", "aten.squeeze.dim", "aten.squeeze.default",
            "aten.unsqueeze.default", "aten.flatten.using_ints")
    is_alias = True

    def lower(self, fx_node: Any, ctx: Any) -> None:
        lower_reshape(fx_node, ctx, ctx.tensor(fx_node.args[0]))

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return inputs[0].reshape(inputs[0].shape[0], *graph.tensors[node.output].shape)

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[0]

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        return inputs[0].reshape(inputs[0].shape[0], *graph.tensors[node.output].shape)
