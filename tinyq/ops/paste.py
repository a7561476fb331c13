"""Paste: write a patch into its window of the full (H, W, C) tensor being assembled.

Made only by patch-based execution (plan/patch_exec.py). Inputs are (full so far, patch),
or just (patch) for the first patch; the output IS the full tensor: the planner gives it
the buffer of input 0 (`writes_into_input`), so the kernel writes only the patch's window
and every patch lands in the same buffer. The first paste leaves the rest of the buffer
to later pastes (the simulator shows zeros there until they run); the patches tile the
tensor, so every byte is written before anything reads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import in_shape, out_shape
from tinyq.ops.base import Buf, CCall, OpDef, register


@register
class Paste(OpDef):
    name = "paste"
    kernel_sources = ("movement/tq_window_copy_s8.c",)
    writes_into_input = True

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        patch = inputs[-1]
        h, w, c = out_shape(node, graph)
        full = (inputs[0].clone() if len(inputs) == 2
                else torch.zeros((patch.shape[0], h, w, c), dtype=patch.dtype))
        top, left = node.attrs["top"], node.attrs["left"]
        full[:, top:top + patch.shape[1], left:left + patch.shape[2], :] = patch
        return full

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        return in_q[-1]

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        return {}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        patch = inputs[-1]
        full = (inputs[0].copy() if len(inputs) == 2
                else np.zeros((patch.shape[0], *out_shape(node, graph)), dtype=np.int8))
        top, left = node.attrs["top"], node.attrs["left"]
        full[:, top:top + patch.shape[1], left:left + patch.shape[2], :] = patch
        return full

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        index = len(node.inputs) - 1
        h, w, c = in_shape(node, graph, index)
        params = {"rows": h, "cols": w, "c": c, "src_w": w, "src_top": 0, "src_left": 0,
                  "dst_w": out_shape(node, graph)[1], "dst_top": node.attrs["top"],
                  "dst_left": node.attrs["left"]}
        return [CCall("tq_window_copy_s8", [Buf("in", index), Buf("out")],
                      "tq_window_copy_params", params)]
