"""The Cortex-M DSP depthwise engine (runtime_c/src/tq_dw_dsp.h) under QEMU, int8 and int4
weights: randomized single-layer models covering its paths (whole windows in the 3x3 asm
and the generic loop, clipped border rows and columns, tiny maps where no window fits,
gathered lanes for channel multipliers and channel counts that are not a multiple of 4,
shifts <= 32 through tq_requant), bit-exact with the simulator."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.variant_case import (Residual, convert_in_place, run_bit_exact,
                                         run_case)

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")

KERNEL = {"int8": "tq_dwconv2d_s8", "int4": "tq_dwconv2d_s8s4"}


def dw_cases(n: int, seed: int):
    """n random (c, mult, k, stride, dil, pads, h, w): pads (left, right, top, bottom) up to
    k // 2 + 1 (explicit zero padding folds into the kernel's), maps from a window's size
    (tiny maps: the border path alone) to a few windows more."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([3, 4, 5, 8, 12, 13, 16]))
        mult = int(rng.choice([1, 1, 1, 2, 3]))
        k = int(rng.choice([1, 3, 3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pads = tuple(int(v) for v in rng.integers(0, k // 2 + 2, 4))
        span = dil * (k - 1) + 1
        h, w = span + int(rng.integers(0, 6)), span + int(rng.integers(0, 9))
        yield c, mult, k, stride, dil, pads, h, w


def dw_model(case) -> tuple[nn.Module, tuple[int, ...]]:
    c, mult, k, stride, dil, pads, h, w = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads), nn.Conv2d(c, c * mult, k, stride, 0, dil, groups=c),
                          nn.ReLU6())
    return model, (1, c, h, w)


@pytest.mark.parametrize("weights", ["int8", "int4"])
@pytest.mark.parametrize("case", list(dw_cases(10, 41)), ids=str)
def test_dw_engine_bit_exact(case, weights, tmp_path):
    model, shape = dw_model(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=7, offset=1.0, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"


@pytest.mark.parametrize("weights", ["int8", "int4"])
@pytest.mark.parametrize("case", [(16, 1, 3, 1, 1, (1, 1, 1, 1), 12, 11),   # 3x3 asm + borders
                                  (8, 1, 3, 2, 1, (0, 1, 0, 1), 13, 10),   # stride 2
                                  (12, 1, 5, 1, 2, (2, 3, 1, 4), 14, 15),  # generic, dilated
                                  (8, 1, 7, 1, 1, (3, 3, 3, 3), 9, 9),     # 7x7
                                  (4, 1, 3, 1, 1, (2, 2, 2, 2), 2, 2)],    # no window fits
                         ids=str)
def test_dw_engine_paths_bit_exact(case, weights, tmp_path):
    model, shape = dw_model(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=8, offset=-1.5, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"


@pytest.mark.parametrize("weights", ["int8", "int4"])
@pytest.mark.parametrize("case", [(8, 1, 3, 1, 1, (1, 1, 1, 1), 3, 9),     # one row inside
                                  (12, 1, 3, 2, 2, (2, 1, 0, 0), 6, 9),    # dilated, strided
                                  (13, 1, 3, 1, 1, (1, 1, 0, 0), 4, 7),    # two rows, a tail
                                  (4, 1, 3, 2, 1, (1, 0, 0, 1), 4, 8)],    # left edge only
                         ids=str)
def test_dw_engine_edge_columns_bit_exact(case, weights, tmp_path):
    """At most two rows of whole-height windows (an in-place row band): a 3x3 border
    column with one padded column of taps runs tq_dw_edge3x3."""
    model, shape = dw_model(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=19, offset=-1.0, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"


@pytest.mark.parametrize("weights", ["int8", "int4"])
@pytest.mark.parametrize("padding, shape", [(1, (1, 8, 5, 6)), ((0, 1), (1, 8, 4, 6))],
                         ids=["all", "edge-columns"])
def test_dw_engine_shift_at_most_32(weights, padding, shape, tmp_path):
    """A narrow output clamp makes the rescale large: shifts <= 32 (tq_requant's 64-bit
    form, e.g. 39, 33, 32, 31, ... here) in the same groups as shifts > 32; with padding
    on the columns only, also through tq_dw_edge3x3 (tq_dw_requant4_slow)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8, 3, padding=padding, groups=8)
    with torch.no_grad():
        conv.weight.mul_(torch.linspace(0.01, 3.0, 8).view(8, 1, 1, 1))
    model = nn.Sequential(conv, nn.Hardtanh(-0.02, 0.02))
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=9, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"


@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_dw_engine_in_place_rows_bit_exact(weights, tmp_path):
    """A DS-CNN-like block: the planner may run the depthwise layer in place by row bands
    (tq_rows), a call per output row with in_h and pad_top of the band."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.ReLU(),
                          nn.Conv2d(16, 16, 1), nn.ReLU(),
                          nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16), nn.ReLU())
    report = run_case(model, (1, 3, 13, 7), "qemu-m4", tmp_path, seed=10, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"


@pytest.mark.parametrize("target", ["qemu-m7", "qemu-m33"])
@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_dw_engine_other_cores(target, weights, tmp_path):
    model, shape = dw_model((13, 1, 3, 1, 1, (1, 1, 1, 1), 7, 9))
    report = run_case(model, shape, target, tmp_path, seed=11, offset=0.5, weights=weights)
    assert report["kernel_variants"][KERNEL[weights]] == KERNEL[weights] + "_dsp"
    model, shape = dw_model((8, 2, 3, 2, 1, (0, 1, 1, 0), 8, 9))
    run_case(model, shape, target, tmp_path, seed=12, weights=weights)


def pool_cases(n: int, seed: int):
    """n random (c, k, stride, pad, dil, ceil, h, w) for MaxPool2d: padding up to k // 2,
    dilation, ceil_mode, channel counts with and without a tail past a multiple of 4."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([3, 4, 8, 13, 16]))
        k = int(rng.choice([2, 3, 5]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = int(rng.integers(0, k // 2 + 1))
        ceil = bool(rng.integers(0, 2))
        span = dil * (k - 1) + 1
        yield c, k, stride, pad, dil, ceil, span + int(rng.integers(0, 5)), span + int(
            rng.integers(0, 7))


@pytest.mark.parametrize("case", list(pool_cases(8, 43)), ids=str)
def test_maxpool2d_dsp_bit_exact(case, tmp_path):
    c, k, stride, pad, dil, ceil, h, w = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU(),
                          nn.MaxPool2d(k, stride, pad, dil, ceil_mode=ceil))
    report = run_case(model, (1, c, h, w), "qemu-m4", tmp_path, seed=13, offset=0.5)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_dsp"


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m33"])
def test_maxpool2d_dsp_in_place_bit_exact(target, tmp_path):
    """--in-place all: the unpadded pools run over their own input (out == in), one with a
    channel tail, one with a ReLU6 folded into its clamp; max and average."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3), nn.MaxPool2d(2), nn.Conv2d(12, 7, 1),
                          nn.ReLU6(), nn.MaxPool2d(3, 1), nn.Conv2d(7, 8, 1), nn.AvgPool2d(2),
                          nn.Conv2d(8, 4, 1))
    out, calib = convert_in_place(model, (3, 14, 13), target, tmp_path, seed=14)
    for kernel in ("MAXPOOL2D", "AVGPOOL2D"):
        calls = re.findall(rf"TQ_{kernel}_S8\(&\w+, (.+?), (.+?)\);", (out / "model.c").read_text())
        assert any(a == b for a, b in calls), calls  # out == in
    report = run_bit_exact(out, target, calib)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_dsp"
    assert report["kernel_variants"]["tq_avgpool2d_s8"] == "tq_avgpool2d_s8_dsp"


@pytest.mark.parametrize("case", list(pool_cases(6, 47)), ids=str)
def test_avgpool2d_dsp_bit_exact(case, tmp_path):
    c, k, stride, pad, _, ceil, h, w = case
    torch.manual_seed(0)
    include_pad = bool(c % 2)
    model = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU(),
                          nn.AvgPool2d(k, stride, pad, ceil_mode=ceil,
                                       count_include_pad=include_pad))
    report = run_case(model, (1, c, h, w), "qemu-m4", tmp_path, seed=15, offset=0.5)
    assert report["kernel_variants"]["tq_avgpool2d_s8"] == "tq_avgpool2d_s8_dsp"


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m7"])
def test_global_avgpool_dsp_bit_exact(target, tmp_path):
    """A global average pool of more than 255 positions (int16 lanes moved to int32 between
    rows), as the end of a classifier."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(12, 5))
    report = run_case(model, (1, 3, 20, 17), target, tmp_path, seed=16, offset=1.0)
    assert report["kernel_variants"]["tq_avgpool2d_s8"] == "tq_avgpool2d_s8_dsp"


@pytest.mark.parametrize("case", [(5, 4, 0.0, "relu"), (16, 7, 1.5, "none"),
                                  (3, 11, -2.0, "relu6"), (8, 1, 0.5, "none"),
                                  (7, 9, 3.0, "relu")], ids=str)
def test_add_dsp_bit_exact(case, tmp_path):
    """Sizes with and without a tail of size % 4, zero points far from 0, a fused ReLU /
    ReLU6 (the bytewise clamp) or none."""
    c, size, offset, act = case
    torch.manual_seed(0)
    model = Residual(c, {"relu": nn.ReLU(), "relu6": nn.ReLU6(), "none": nn.Identity()}[act])
    report = run_case(model, (1, c, size, size + 1), "qemu-m4", tmp_path, seed=6,
                      offset=offset)
    assert report["kernel_variants"]["tq_add_s8"] == "tq_add_s8_dsp"


@pytest.mark.parametrize("target", ["qemu-m7", "qemu-m33"])
def test_add_dsp_in_place_other_cores(target, tmp_path):
    """--in-place all: the add writes over one of its inputs."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3), Residual(12, nn.ReLU()), nn.Conv2d(12, 4, 1))
    out, calib = convert_in_place(model, (3, 11, 10), target, tmp_path, seed=16)
    calls = re.findall(r"TQ_ADD_S8\(&\w+, (.+?), (.+?), (.+?)\);", (out / "model.c").read_text())
    assert calls and all(o in (a, b) for a, b, o in calls), calls
    report = run_bit_exact(out, target, calib)
    assert report["kernel_variants"]["tq_add_s8"] == "tq_add_s8_dsp"


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m55"])
@pytest.mark.parametrize("case", [("sigmoid", 5, 7), ("tanh", 16, 4), ("hardswish", 3, 9)],
                         ids=str)
def test_lut_dsp_mve_bit_exact(case, target, tmp_path):
    """Table-lookup activations after a convolution (their own layer, not folded into its
    clamp), with and without a tail of size % 4 (DSP) or % 16 (MVE)."""
    act, c, size = case
    torch.manual_seed(0)
    fn = {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "hardswish": nn.Hardswish()}[act]
    model = nn.Sequential(nn.Conv2d(3, c, 3, padding=1), fn, nn.Conv2d(c, 4, 1))
    report = run_case(model, (1, 3, size, size + 1), target, tmp_path, seed=17)
    assert report["kernel_variants"]["tq_lut_s8"] == ("tq_lut_s8_dsp" if target == "qemu-m4"
                                                      else "tq_lut_s8_mve")


def test_lut_dsp_in_place_m33(tmp_path):
    """--in-place all: the lookup writes over its input."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 10, 3), nn.Sigmoid(), nn.Conv2d(10, 4, 1))
    out, calib = convert_in_place(model, (3, 9, 8), "qemu-m33", tmp_path, seed=18)
    calls = re.findall(r"TQ_LUT_S8\((.+?), (.+?), ", (out / "model.c").read_text())
    assert calls and all(a == b for a, b in calls), calls
    report = run_bit_exact(out, "qemu-m33", calib)
    assert report["kernel_variants"]["tq_lut_s8"] == "tq_lut_s8_dsp"
