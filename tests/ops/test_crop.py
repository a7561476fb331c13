"""crop (made by patch-based execution): C == simulator on random windows."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ops.harness import check_c_equals_sim
from tinyq.pipeline import quantized_graph
from tinyq.plan.patch_exec import rewrite_for_patches
from tinyq.sim.interpreter import run_int
from tinyq.sim.layout import to_ir_layout


def patched_values(size: tuple[int, int], k: int, n: int, seed: int):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 4, k, padding=k // 2), nn.ReLU(),
                          nn.Conv2d(4, 4, 3, stride=2, padding=1)).eval()
    rng = np.random.default_rng(seed)
    calib = rng.standard_normal((8, 3, *size)).astype(np.float32)
    graph = quantized_graph(model, calib, (1, 3, *size))
    patched = rewrite_for_patches(graph, graph.nodes[-1].output, n)
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(to_ir_layout(calib[:2]))
    return patched, run_int(patched, xq, keep_all=True)


@settings(max_examples=4, deadline=None)
@given(st.integers(6, 11), st.integers(6, 11), st.sampled_from([1, 3, 5]), st.integers(2, 3),
       st.integers(0, 2**16))
def test_crop_matches_simulator(kernels, h, w, k, n, seed):
    graph, values = patched_values((h, w), k, n, seed)
    crops = [node for node in graph.nodes if node.op == "crop"]
    assert crops  # at least each patch's input window
    for node in crops:
        check_c_equals_sim(kernels, graph, node, values)
