"""dwconv2d: depthwise lowering (groups == in_c), channel multiplier, C == simulator."""

from __future__ import annotations

import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@st.composite
def dw_cases(draw):
    c = draw(st.integers(2, 9))
    mult = draw(st.sampled_from([1, 1, 2, 3]))
    k = draw(st.sampled_from([1, 3, 5, 7]))
    stride = draw(st.integers(1, 2))
    dil = draw(st.integers(1, 2))
    pad = draw(st.integers(0, k // 2 + 1))
    size = draw(st.integers(dil * (k - 1) + 1, dil * (k - 1) + 8))
    return c, mult, k, stride, dil, pad, size


@given(dw_cases(), st.integers(0, 2**16))
def test_dwconv2d_matches_simulator(kernels, case, seed):
    c, mult, k, stride, dil, pad, size = case
    conv = nn.Conv2d(c, c * mult, k, stride, pad, dil, groups=c)
    check_op(kernels, conv, (1, c, size, size + 1), "dwconv2d", seed=seed)


def test_relu6_fuses_into_depthwise(kernels):
    model = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8),
                          nn.ReLU6())
    graph = check_op(kernels, model, (1, 8, 6, 6), "dwconv2d")
    assert [n.op for n in graph.nodes] == ["dwconv2d"]
    assert graph.nodes[0].attrs["act"] == (0.0, 6.0)
