"""Crop: a window of an (H, W, C) feature map, from (top, left), of the output's shape.

Made only by patch-based execution (plan/patch_exec.py): each patch starts by cropping
the input window its receptive field needs. Pure data movement, so the output keeps the
input's quantization.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import in_shape, out_shape
from tinyq.ops.base import Buf, CCall, OpDef, register


@register
class Crop(OpDef):
    name = "crop"
    kernel_sources = ("movement/tq_window_copy_s8.c",)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        h, w, _ = out_shape(node, graph)
        top, left = node.attrs["top"], node.attrs["left"]
        return inputs[0][:, top:top + h, left:left + w, :]

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[0]

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        return {}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        h, w, _ = out_shape(node, graph)
        top, left = node.attrs["top"], node.attrs["left"]
        return np.ascontiguousarray(inputs[0][:, top:top + h, left:left + w, :])

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        h, w, c = out_shape(node, graph)
        src_w = in_shape(node, graph)[1]
        params = {"rows": h, "cols": w, "c": c, "src_w": src_w, "src_top": node.attrs["top"],
                  "src_left": node.attrs["left"], "dst_w": w, "dst_top": 0, "dst_left": 0}
        return [CCall("tq_window_copy_s8", [Buf("in"), Buf("out")], "tq_window_copy_params",
                      params)]
