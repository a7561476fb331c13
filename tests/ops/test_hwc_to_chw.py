"""hwc_to_chw: inserted where a flattened feature map feeds something other than a
Linear (here a softmax over all features); C == simulator and float order kept."""

from __future__ import annotations

import torch.nn as nn

from tests.ops.harness import check_op


def test_flatten_to_softmax_reorders(kernels):
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Flatten(), nn.Softmax(dim=-1))
    graph = check_op(kernels, model, (1, 2, 3, 4), "hwc_to_chw", tol_steps=0.0)
    assert [n.op for n in graph.nodes] == ["conv2d", "hwc_to_chw", "reshape", "softmax"]
