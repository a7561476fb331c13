"""Reorder an (H, W, C) feature map into PyTorch's flatten order (C, H, W). Inserted by
fix_flatten_order only where a flattened map feeds something other than a Linear."""

from __future__ import annotations

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops.base import Buf, CCall, OpDef, register


@register
class HwcToChw(OpDef):
    name = "hwc_to_chw"
    kernel_sources = ("movement/tq_hwc_to_chw_s8.c",)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return inputs[0].permute(0, 3, 1, 2).reshape(inputs[0].shape[0], -1)

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[0]

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        return inputs[0].transpose(0, 3, 1, 2).reshape(inputs[0].shape[0], -1)

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        h, w, c = graph.tensors[node.inputs[0]].shape
        return [CCall("tq_hwc_to_chw_s8", [h, w, c, Buf("in"), Buf("out")])]
