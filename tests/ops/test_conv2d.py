"""conv2d: lowering, and C == simulator bit for bit over random geometries."""

from __future__ import annotations

import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    in_c = groups * draw(st.integers(1, 5))
    out_c = groups * draw(st.integers(1, 5))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, kh // 2 + 1)), draw(st.integers(0, kw // 2 + 1)))
    h = draw(st.integers(dil[0] * (kh - 1) + 1, 12))
    w = draw(st.integers(dil[1] * (kw - 1) + 1, 12))
    bias = draw(st.booleans())
    return in_c, out_c, (kh, kw), stride, pad, dil, groups, bias, (h, w)


@given(conv_cases(), st.integers(0, 2**16))
def test_conv2d_matches_simulator(kernels, case, seed):
    in_c, out_c, k, stride, pad, dil, groups, bias, (h, w) = case
    conv = nn.Conv2d(in_c, out_c, k, stride, pad, dil, groups, bias=bias)
    depthwise = groups == in_c and groups > 1  # lowered to dwconv2d, tested there too
    check_op(kernels, conv, (1, in_c, h, w), "dwconv2d" if depthwise else "conv2d",
             seed=seed)


@given(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
       st.integers(0, 2**16))
def test_asymmetric_zero_pad_folds_into_conv(kernels, pads, seed):
    model = nn.Sequential(nn.ZeroPad2d(pads), nn.Conv2d(3, 4, 3, stride=2), nn.ReLU())
    graph = check_op(kernels, model, (1, 3, 9, 7), "conv2d", seed=seed)
    assert [n.op for n in graph.nodes] == ["conv2d"]
    left, right, top, bottom = pads
    assert graph.nodes[0].attrs["pads"] == (top, left, bottom, right)
    assert graph.nodes[0].attrs["act"] == (0.0, float("inf"))


def test_first_layer_1x1_and_single_channel(kernels):
    check_op(kernels, nn.Conv2d(1, 8, 1), (1, 1, 5, 5), "conv2d")
    check_op(kernels, nn.Conv2d(3, 16, 3, 2, 1), (1, 3, 16, 16), "conv2d")
