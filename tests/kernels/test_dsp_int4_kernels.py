"""Cortex-M DSP variants of the int4-weight (s8s4) kernels under QEMU: randomized
single-layer models with --weights int4, firmware outputs bit-exact with the simulator,
and the report naming the _dsp kernel that ran."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.test_dsp_dw_pool_kernels import dw_cases as dw_engine_cases
from tests.kernels.test_dsp_dw_pool_kernels import dw_model
from tests.kernels.test_dsp_kernels import conv_cases, dw_cases
from tests.kernels.variant_case import padded_conv, run_case
from tinyq.codegen.weight_layouts import dw_s4_dsp_layout
from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.quant.int4 import pack_int4, unpack_int4

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")


@pytest.mark.parametrize("case", list(conv_cases(8, 21)), ids=str)
def test_conv2d_s8s4_dsp_bit_exact(case, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=1, offset=1.0, weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_dsp"


@pytest.mark.parametrize("out_c", [4, 3])
def test_conv2d_s8s4_dsp_long_filter(out_c, tmp_path):
    """A filter of 270 groups of 4 (1080 elements): the x4096 sums in three chunks, for
    pairs and for an odd last filter."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(120, out_c, 3, padding=1), nn.ReLU())
    report = run_case(model, (1, 120, 3, 4), "qemu-m4", tmp_path, seed=6, offset=1.0,
                      weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_dsp"


@pytest.mark.parametrize("layer", ["conv2", "conv3", "linear3"])
def test_s8s4_dsp_extreme_long_sums(layer, tmp_path):
    """Every weight at the most negative int4 and every activation at the most negative
    int8 over 1152 elements: the x4096 partial sums are at their largest, so a chunk of the
    dot product that held more than 511 products would wrap (convolution: pairs and an odd
    last filter; linear: a pair and the last row alone)."""
    out = int(layer[-1])
    model = (nn.Sequential(nn.Conv2d(128, out, 3)) if layer.startswith("conv")
             else nn.Sequential(nn.Flatten(), nn.Linear(128 * 3 * 3, out)))
    weighted = model[0] if layer.startswith("conv") else model[1]
    with torch.no_grad():
        weighted.weight.fill_(-1.0)
        weighted.bias.zero_()
    shape = (4, 128, 4, 5) if layer.startswith("conv") else (4, 128, 3, 3)
    calib = np.full(shape, -1.0, dtype=np.float32)
    calib[:, 0, 0, 0] = 1.0  # the range spans 0: -1.0 quantizes to the int8 minimum
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model.eval(), (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    convert_model(path, tmp_path / "p", ConvertOptions(calib=tmp_path / "calib.npy",
                                                       target="qemu-m4", weights="int4"))
    project = Project(tmp_path / "p")
    xq = project.quantize_input(calib[:2])
    size = int(np.prod(shape[1:]))
    assert xq.min() <= -127 and ((xq == xq.min()).reshape(2, -1).sum(axis=1) == size - 1).all()
    run = project.run_target("qemu-m4", xq)
    assert run.bit_exact, f"input {run.first_mismatch} differs"
    kernel = "tq_conv2d_s8s4" if layer.startswith("conv") else "tq_fc_s8s4"
    assert project.report["kernel_variants"][kernel] == kernel + "_dsp"


def test_conv2d_s8s4_dsp_without_requant_table(tmp_path):
    """Shifts of 32 (no requantization table: every channel requantized one by one): the
    second convolution's two input channels are equal and its filters nearly cancel, so
    its output range is small against s_in * s_w."""
    torch.manual_seed(0)
    dup, conv = nn.Conv2d(1, 2, 1, bias=False), nn.Conv2d(2, 3, 3, padding=1)
    with torch.no_grad():
        dup.weight.fill_(1.0)
        conv.weight[:, 1] = -0.9 * conv.weight[:, 0]
    run_case(nn.Sequential(dup, conv), (1, 1, 5, 6), "qemu-m4", tmp_path, seed=7,
             weights="int4")
    shifts = [n.qattrs["shift"] for n in Project(tmp_path / "p").graph.nodes
              if n.op == "conv2d" and n.qattrs["weights"].shape[-1] == 2]
    assert shifts and all(min(s) <= 32 for s in shifts)


@pytest.mark.parametrize("target", ["qemu-m7", "qemu-m33"])
def test_conv2d_s8s4_dsp_other_cores(target, tmp_path):
    """An odd filter size (filters start mid-byte) with a tail, on the other DSP cores."""
    model, shape = padded_conv((5, 6, 3, 1, 1, (1, 1, 1, 1), 6))
    report = run_case(model, shape, target, tmp_path, seed=2, weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_dsp"


@pytest.mark.parametrize("case", [(4, 3, 1, 1, 1, 6), (8, 7, 1, 1, 3, 9), (6, 5, 2, 1, 2, 7),
                                  (13, 3, 1, 2, 1, 6)] + list(dw_cases(2, 6)), ids=str)
def test_dwconv2d_s8s4_dsp_bit_exact(case, tmp_path):
    c, k, stride, dil, pad, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, k, stride, pad, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), "qemu-m4", tmp_path, seed=3, offset=1.0,
                      weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_dsp"


def dw_layout_decode(layout: np.ndarray, k_h: int, k_w: int, out_c: int) -> np.ndarray:
    """tq_dwconv2d_s8s4_dsp's layout read back as the kernel reads it (tinyq.h): the
    [taps][out_c] int4 values."""
    taps, groups, n = k_h * k_w, out_c // 4, out_c % 4
    b = layout.view(np.uint8).astype(np.int64)
    w = np.zeros((taps, out_c), dtype=np.int64)
    words = b[:groups * 4 * (taps // 2)].reshape(-1, 4) @ (1 << np.arange(0, 32, 8))
    words = words.reshape(groups, taps // 2)
    for s, tap, lanes in [(0, 0, (0, 2)), (4, 0, (1, 3)), (8, 1, (0, 2)), (12, 1, (1, 3))]:
        for half, lane in enumerate(lanes):
            nib = (words >> (s + 16 * half)) & 15
            w[tap:2 * (taps // 2):2, lane:4 * groups:4] = (nib - 8).T
    pos = groups * 4 * (taps // 2)
    if taps % 2:
        h = b[pos:pos + 2 * groups:2] | b[pos + 1:pos + 2 * groups:2] << 8
        for lane in range(4):
            w[-1, lane:4 * groups:4] = ((h >> 4 * lane) & 15) - 8
        pos += 2 * groups
    if n:
        w[:, 4 * groups:] = unpack_int4(layout[pos:], taps * n).reshape(taps, n)
    assert pos + (taps * n + 1) // 2 == layout.size  # exactly the packed size
    return w


@pytest.mark.parametrize("shape", [(3, 3, 64), (3, 3, 13), (1, 1, 3), (5, 5, 6), (7, 7, 9),
                                   (2, 2, 1), (1, 3, 8), (8, 8, 5)], ids=str)
def test_dw_s4_dsp_layout_reads_back(shape):
    k_h, k_w, out_c = shape
    q = np.random.default_rng(out_c).integers(-8, 8, (k_h * k_w, out_c))
    packed = pack_int4(q)
    layout = dw_s4_dsp_layout({"k_h": k_h, "k_w": k_w, "out_c": out_c}, packed)
    assert layout.size == packed.size
    assert np.array_equal(dw_layout_decode(layout, k_h, k_w, out_c), q)
    # beyond TQ_DW_MAX_TAPS the kernel runs the reference on the packed array
    assert dw_s4_dsp_layout({"k_h": 9, "k_w": 9, "out_c": out_c}, pack_int4(
        np.zeros((81, out_c)))) is None


@pytest.mark.parametrize("case", list(dw_engine_cases(8, 53))
                         + [(5, 3, 3, 1, 1, (1, 1, 1, 1), 7, 8),   # 15: a tail of 3
                            (3, 1, 3, 2, 1, (1, 1, 1, 1), 7, 7),   # a tail alone
                            (6, 1, 4, 1, 1, (1, 2, 2, 1), 6, 7)],  # even taps
                         ids=str)
def test_dwconv2d_s8s4_dsp_layout_bit_exact(case, tmp_path):
    """Random depthwise layers (odd channel counts and tails past a multiple of 4, channel
    multipliers, strides 1 and 2, 1x1 to 7x7, padding) read the DSP layout on the target
    (under #if TQ_HAS_DSP) and the packed one on the host build, both bit-exact."""
    model, shape = dw_model(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=17, offset=1.0, weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_dsp"
    assert "#if TQ_HAS_DSP" in (tmp_path / "p" / "model_weights.c").read_text()
    result = Project(tmp_path / "p").test(np.random.default_rng(1).standard_normal(
        (2, *shape[1:])).astype(np.float32) + 1.0)
    assert result.bit_exact


def test_dwconv2d_s8s4_dsp_above_max_taps(tmp_path):
    """9x9 (81 taps, above TQ_DW_MAX_TAPS): the reference kernel on the packed array."""
    model, shape = dw_model((6, 1, 9, 1, 1, (4, 4, 4, 4), 9, 10))
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=18, weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_dsp"
    assert "#if TQ_HAS_DSP" not in (tmp_path / "p" / "model_weights.c").read_text()


@pytest.mark.parametrize("target", ["qemu-m7", "qemu-m33"])
def test_dwconv2d_s8s4_dsp_other_cores(target, tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 6, 3, 1, 1, groups=6))
    report = run_case(model, (1, 6, 5, 6), target, tmp_path, seed=4, weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_dsp"


@pytest.mark.parametrize("features", [(9 * 5 * 5, 7, 3), (64, 10, 5), (300, 3, 1),
                                      (17, 11, 4), (1, 2, 1), (2, 3, 2), (3, 5, 4),
                                      (4, 1, 3), (8, 6, 1), (640, 9, 2), (1030, 4, 3)],
                         ids=str)
def test_linear_s8s4_dsp_bit_exact(features, tmp_path):
    """in_features with and without a partial group of 4, fewer than one group, more than
    one x4096 chunk (127 groups); odd and even out_features (the last row alone), one."""
    n_in, hidden, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    report = run_case(model, (1, n_in), "qemu-m4", tmp_path, seed=5, offset=0.5,
                      weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_dsp"


def test_grouped_conv_and_linear_s8s4_dsp_bit_exact(tmp_path):
    """Grouped convolution (the reference inside the _dsp kernel) feeding linear layers."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.Flatten(),
                          nn.Linear(9 * 5 * 5, 7), nn.ReLU(), nn.Linear(7, 3))
    report = run_case(model, (1, 6, 5, 5), "qemu-m33", tmp_path, seed=2, weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_dsp"


def test_conv_s8s4_scratch_is_planned_in_the_arena(tmp_path):
    """The int4 DSP conv's scratch is an arena region of TQ_CONV2D_S8S4_DSP_SCRATCH bytes
    (the int8 kernel's: 24 per group of 4 and 16 per output channel of requantization
    constants) next to live tensors, so an overrun would show as a mismatch; the host build
    of the same project (reference kernels, reference layout) ignores it and still
    matches. Both convolutions get their DSP layout (2 bytes per group of 4 and filter)
    under #if TQ_HAS_DSP."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3))
    report = run_case(model, (1, 3, 9, 9), "qemu-m4", tmp_path, seed=5, weights="int4")
    assert ([layer["scratch_bytes"] for layer in report["layers"]]
            == [24 * 7 + 16 * 8, 24 * 18 + 16 * 8])
    assert [layer["weight_bytes"] - 9 * 8 for layer in report["layers"]] == [8 * 14, 8 * 36]
    assert (tmp_path / "p" / "model_weights.c").read_text().count("#if TQ_HAS_DSP") == 2
    assert "TQ_CONV2D_S8S4((arena8 + " in (tmp_path / "p" / "model.c").read_text()
    result = Project(tmp_path / "p").test(np.random.default_rng(0).standard_normal(
        (2, 3, 9, 9)).astype(np.float32))
    assert result.bit_exact
