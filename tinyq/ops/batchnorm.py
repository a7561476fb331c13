"""BatchNorm in inference mode. It never reaches the integer path: the pass
fold_batchnorm folds it into the preceding conv / linear, or turns a standalone one into
a 1x1 depthwise convolution (a per-channel scale and shift)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node
from tinyq.ops.base import OpDef, register


@register
class BatchNorm(OpDef):
    name = "batchnorm"
    aten = ("aten._native_batch_norm_legit_no_training.default",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        weight, bias, mean, var = (ctx.const(a, fx_node) for a in fx_node.args[1:5])
        eps = float(fx_node.args[6])
        if mean is None or var is None:
            raise TinyqError(f"{ctx.where(fx_node)}: BatchNorm without running statistics "
                             "(track_running_stats=False) cannot be folded")
        rank = ctx.rank(x)
        if rank not in (2, 4):
            raise TinyqError(f"{ctx.where(fx_node)}: BatchNorm on a rank-{rank} tensor is "
                             "not supported (only (N, C) and (N, C, H, W))")
        scale = 1.0 / np.sqrt(var + eps)
        if weight is not None:
            scale = scale * weight
        shift = -mean * scale + (bias if bias is not None else 0.0)
        # The ATen op returns (out, mean, invstd); getitem(0) aliases this node's output.
        shape = ctx.shape_of(fx_node.args[0])
        ctx.add_node(fx_node, "batchnorm", [x], {}, {"scale": scale, "shift": shift},
                     torch_shape=shape)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        x = inputs[0]
        scale = torch.as_tensor(node.params["scale"], dtype=x.dtype)
        shift = torch.as_tensor(node.params["shift"], dtype=x.dtype)
        return x * scale + shift
