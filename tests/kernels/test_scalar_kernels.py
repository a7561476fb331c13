"""Scalar variants (32-bit cores without DSP / MVE / RVV) under QEMU on the three cores that
run them: rv32imac, ARMv6-M (the qemu-m0plus twin) and Cortex-M3. Randomized single-layer
models, firmware outputs bit-exact with the simulator, and the report naming the _scalar
kernel that ran."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.test_dsp_dw_pool_kernels import pool_cases
from tests.kernels.variant_case import conv_cases as variant_conv_cases
from tests.kernels.variant_case import (Residual, convert_in_place, padded_conv,
                                         run_bit_exact, run_case)

TARGETS = ["qemu-rv32", "qemu-m0plus", "qemu-m3"]

pytestmark = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("arm-none-eabi-gcc") is None
    or shutil.which("qemu-system-riscv32") is None or shutil.which("qemu-system-arm") is None,
    reason="cross toolchains or QEMU missing: scripts/install_toolchains.sh")


def conv_cases(n: int, seed: int):
    """Random geometries (odd channel counts, padding, stride, dilation, k 1 / 3 / 5), then
    the fixed ones: first layers (in_c 1-3), pointwise, out_c below and past a block, a
    single interior pixel, a window larger than the map (no interior pixel)."""
    yield from variant_conv_cases(n, seed, lambda rng: (int(rng.integers(1, 24)),
                                                         int(rng.integers(1, 24))))
    yield 3, 16, 3, 1, 1, (1, 1, 1, 1), 9      # first layer
    yield 1, 8, 3, 2, 1, (1, 1, 1, 1), 10      # in_c 1, stride 2
    yield 2, 5, 5, 1, 2, (2, 2, 0, 1), 11      # in_c 2, dilation
    yield 16, 7, 1, 1, 1, (0, 0, 0, 0), 4      # pointwise, channel tail
    yield 5, 3, 3, 1, 1, (0, 0, 0, 0), 3      # out_c below a block, one pixel
    yield 4, 9, 5, 1, 1, (2, 2, 2, 2), 3      # every pixel on the border


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", list(conv_cases(6, 31)), ids=str)
def test_conv2d_scalar_bit_exact(case, target, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, target, tmp_path, seed=1,
                      offset=2.5 if case[0] % 2 else 0.0)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_scalar"


@pytest.mark.parametrize("target", TARGETS)
def test_grouped_conv_scalar_bit_exact(target, tmp_path):
    """Grouped convolution: the reference inside the _scalar kernel."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.ReLU())
    report = run_case(model, (1, 6, 5, 5), target, tmp_path, seed=2, offset=1.0)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_scalar"


def dwconv_cases(n: int, seed: int):
    """k 3 / 5 / 7, stride 1 / 2, dilation, channel multiplier 1-3, odd channel counts,
    padding on every side."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        c = int(rng.choice([2, 3, 4, 8, 13, 20]))
        k = int(rng.choice([3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        mult = (1, 1, 2, 3)[i % 4]
        pads = tuple(int(v) for v in rng.integers(0, k, 4))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 5))
        yield c, mult, k, stride, dil, pads, size
    yield 12, 1, 3, 1, 1, (1, 1, 1, 1), 6      # 4-channel blocks, dil_w 1 (Thumb-1 rows)
    yield 16, 1, 5, 2, 1, (2, 2, 2, 2), 9
    yield 9, 1, 7, 1, 1, (3, 0, 2, 3), 8       # a block and a tail channel
    yield 8, 1, 3, 2, 2, (0, 1, 1, 0), 9       # blocks with dilation


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", list(dwconv_cases(8, 7)), ids=str)
def test_dwconv2d_scalar_bit_exact(case, target, tmp_path):
    c, mult, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads),
                          nn.Conv2d(c, c * mult, k, stride, 0, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), target, tmp_path, seed=3,
                      offset=2.0 if c % 2 else 0.0)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("features", [(1, 3), (75, 7), (130, 37), (9, 2)], ids=str)
def test_linear_scalar_bit_exact(features, target, tmp_path):
    n_in, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, 40), nn.ReLU(), nn.Linear(40, n_out))
    report = run_case(model, (1, n_in), target, tmp_path, seed=4, offset=0.5)
    assert report["kernel_variants"]["tq_fc_s8"] == "tq_fc_s8_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", [(8, 1, 3, 1, 1, (1, 1, 1, 1), 6),     # blocks, byte-aligned
                                  (12, 1, 5, 2, 1, (2, 0, 1, 2), 9),    # stride 2, tail-free
                                  (6, 1, 3, 1, 2, (0, 1, 2, 1), 8),     # block + 2 tail, dil
                                  (5, 1, 3, 1, 1, (1, 1, 1, 1), 5),     # odd out_c: one by one
                                  (4, 2, 3, 2, 1, (1, 1, 1, 1), 7)],    # multiplier
                         ids=str)
def test_dwconv2d_s8s4_scalar_bit_exact(case, target, tmp_path):
    c, mult, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads),
                          nn.Conv2d(c, c * mult, k, stride, 0, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), target, tmp_path, seed=3, offset=1.5,
                      weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("features", [(64, 10, 5), (75, 7, 3), (18, 11, 4)], ids=str)
def test_linear_s8s4_scalar_bit_exact(features, target, tmp_path):
    """Even in_features (blocks of 4 rows, tails) and odd (rows start mid-byte)."""
    n_in, hidden, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    report = run_case(model, (1, n_in), target, tmp_path, seed=5, offset=0.5, weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", [(4, 6, 3, 1, 1, (1, 1, 1, 1), 6),     # in place, gathered border
                                  (2, 5, 5, 2, 2, (2, 1, 0, 2), 11),    # dilation, stride, tail
                                  (1, 8, 4, 1, 1, (1, 2, 1, 2), 7),     # in_c 1, even 4x4 runs
                                  (3, 4, 2, 1, 2, (0, 1, 1, 0), 6),     # odd runs: all gathered
                                  (3, 8, 3, 1, 1, (1, 1, 1, 1), 6),     # odd filter, padded
                                  (1, 3, 3, 1, 1, (1, 0, 2, 1), 7),     # odd filter, 3 filters
                                  (5, 7, 3, 2, 1, (1, 1, 1, 1), 9),     # odd, stride, tail
                                  (3, 5, 1, 1, 1, (0, 0, 0, 0), 5),     # odd 1x1
                                  (65, 3, 3, 1, 1, (1, 1, 1, 1), 4),    # odd, too large
                                  (70, 5, 3, 1, 1, (1, 1, 1, 1), 5)],   # too large to gather
                         ids=str)
def test_conv2d_s8s4_scalar_bit_exact(case, target, tmp_path):
    """Filters of odd size get a zero element each from the converter (every filter starts
    on a byte): gathered windows, one at a time when too large to gather."""
    model, shape = padded_conv(case)
    report = run_case(model, shape, target, tmp_path, seed=1, offset=1.0, weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", [(5, 4, 0.0, "relu"), (16, 7, 1.5, "none"),
                                  (3, 11, -2.0, "relu6")], ids=str)
def test_add_scalar_bit_exact(case, target, tmp_path):
    """Zero points far from 0, a fused ReLU / ReLU6 or none."""
    c, size, offset, act = case
    torch.manual_seed(0)
    model = Residual(c, {"relu": nn.ReLU(), "relu6": nn.ReLU6(), "none": nn.Identity()}[act])
    report = run_case(model, (1, c, size, size + 1), target, tmp_path, seed=6, offset=offset)
    assert report["kernel_variants"]["tq_add_s8"] == "tq_add_s8_scalar"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", list(pool_cases(5, 48)) + [(6, 2, 2, 0, 1, False, 8, 9)],
                         ids=str)
def test_maxpool2d_scalar_bit_exact(case, target, tmp_path):
    """Padding, stride, dilation, ceil mode, 2x2 windows (unrolled) and others, a fused
    ReLU6 clamp."""
    c, k, stride, pad, dil, ceil, h, w = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU6(),
                          nn.MaxPool2d(k, stride, pad, dil, ceil_mode=ceil))
    report = run_case(model, (1, c, h, w), target, tmp_path, seed=19, offset=0.5)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_scalar"


@pytest.mark.parametrize("target", ["qemu-m0plus", "qemu-rv32"])
def test_maxpool2d_scalar_in_place_bit_exact(target, tmp_path):
    """--in-place all: unpadded max pools over their own input, 2x2 and 3x3."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3), nn.MaxPool2d(2), nn.Conv2d(12, 7, 1),
                          nn.MaxPool2d(3, 1), nn.Conv2d(7, 4, 1))
    out, calib = convert_in_place(model, (3, 14, 13), target, tmp_path, seed=20)
    calls = re.findall(r"TQ_MAXPOOL2D_S8\(&\w+, (.+?), (.+?)\);", (out / "model.c").read_text())
    assert calls and all(a == b for a, b in calls), calls
    report = run_bit_exact(out, target, calib)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_scalar"
