"""int4 weights: nibble packing, and the s8s4 kernels (conv2d, dwconv2d, fc) == the
simulator bit for bit over random shapes, odd element counts and odd filter / row starts
included; MSE clipping never worse than max scaling."""

from __future__ import annotations

import numpy as np
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op
from tests.ops.test_conv2d import conv_cases
from tests.ops.test_dwconv2d import dw_cases
from tinyq.ops import op_of
from tinyq.quant.int4 import max_scales, mse_scales, pack_int4, quantize_int4, unpack_int4
from tinyq.quant.weight_config import WeightOptions

INT4 = WeightOptions("int4")
INT4_PLAIN = WeightOptions("int4", int4_clip="max", bias_correction=False)


def assert_int4_layers(graph, op: str) -> None:
    for node in graph.nodes:
        if node.op != op:
            continue
        q = node.qattrs
        assert q["weight_bits"] == 4
        assert q["weights"].min() >= -8 and q["weights"].max() <= 7
        call = op_of(node).emit(node, graph)[0]
        assert call.kernel.endswith("_s8s4")
        packed = call.params["weights"].data
        assert packed.nbytes == (q["weights"].size + 1) // 2
        assert np.array_equal(unpack_int4(packed, q["weights"].size), q["weights"].ravel())


@given(st.lists(st.integers(-8, 7), min_size=0, max_size=33))
def test_pack_places_element_2i_in_the_low_nibble(values):
    q = np.array(values, dtype=np.int8)
    packed = pack_int4(q).view(np.uint8)
    assert packed.size == (q.size + 1) // 2
    for i, v in enumerate(values):
        nibble = (packed[i // 2] >> (4 * (i % 2))) & 15
        assert nibble == (v & 15)
    if q.size % 2:
        assert packed[-1] >> 4 == 0  # the pad nibble
    assert np.array_equal(unpack_int4(pack_int4(q), q.size), q)


def test_pack_known_bytes():
    assert pack_int4(np.array([1, -1, -8, 7, 3])).view(np.uint8).tolist() == [0xF1, 0x78, 0x03]


@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 2**16))
def test_mse_clipping_never_worse_than_max(out_c, n, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_t(3, size=(out_c, n))  # heavy tails: clipping pays off
    errors = []
    for scales in (max_scales(w, 0), mse_scales(w, 0)):
        q = quantize_int4(w, scales, 0)
        errors.append(np.sum((w - scales[:, None] * q) ** 2, axis=1))
    assert np.all(errors[1] <= errors[0] + 1e-12)


@given(conv_cases(), st.booleans(), st.integers(0, 2**16))
def test_conv2d_s8s4_matches_simulator(kernels, case, corrected, seed):
    in_c, out_c, k, stride, pad, dil, groups, bias, (h, w) = case
    conv = nn.Conv2d(in_c, out_c, k, stride, pad, dil, groups, bias=bias)
    op = "dwconv2d" if groups == in_c and groups > 1 else "conv2d"
    graph = check_op(kernels, conv, (1, in_c, h, w), op, seed=seed,
                     weights=INT4 if corrected else INT4_PLAIN)
    assert_int4_layers(graph, op)


@given(dw_cases(), st.booleans(), st.integers(0, 2**16))
def test_dwconv2d_s8s4_matches_simulator(kernels, case, corrected, seed):
    c, mult, k, stride, dil, pad, size = case
    conv = nn.Conv2d(c, c * mult, k, stride, pad, dil, groups=c)
    graph = check_op(kernels, conv, (1, c, size, size + 1), "dwconv2d", seed=seed,
                     weights=INT4 if corrected else INT4_PLAIN)
    assert_int4_layers(graph, "dwconv2d")


@given(st.integers(1, 4), st.integers(1, 37), st.integers(1, 11), st.booleans(),
       st.integers(0, 2**16))
def test_fc_s8s4_matches_simulator(kernels, rows, n_in, n_out, corrected, seed):
    shape = (1, n_in) if rows == 1 else (1, rows, n_in)
    graph = check_op(kernels, nn.Linear(n_in, n_out), shape, "linear", seed=seed,
                     weights=INT4 if corrected else INT4_PLAIN)
    assert_int4_layers(graph, "linear")


def test_odd_counts_start_filters_and_rows_mid_byte(kernels):
    # filter 3*3*3 = 27 elements: every odd filter starts at a high nibble; 5 x 3 fc rows;
    # a 3 x 3 depthwise over 5 channels: 45 elements, the last byte half padding.
    for module, shape, op in [(nn.Conv2d(3, 5, 3, padding=1), (1, 3, 6, 5), "conv2d"),
                              (nn.Linear(5, 3), (1, 5), "linear"),
                              (nn.Conv2d(5, 5, 3, padding=1, groups=5), (1, 5, 4, 4),
                               "dwconv2d"),
                              (nn.Conv2d(1, 7, 1), (1, 1, 3, 3), "conv2d")]:
        graph = check_op(kernels, module, shape, op, weights=INT4)
        assert_int4_layers(graph, op)
