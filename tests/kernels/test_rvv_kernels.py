"""RISC-V vector (RVV 1.0) variants under QEMU: randomized single-layer models, firmware
outputs bit-exact with the simulator, and the report naming the _rvv kernel that ran."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.variant_case import conv_cases as variant_conv_cases
from tests.kernels.variant_case import Residual, convert_in_place, padded_conv, run_bit_exact
from tests.kernels.variant_case import run_case as run_variant

TARGET = "qemu-rv32v"

pytestmark = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None
    or shutil.which("qemu-system-riscv32") is None,
    reason="RISC-V toolchain or QEMU missing: scripts/install_toolchains.sh")


def run_case(model: nn.Module, shape: tuple[int, ...], tmp_path, seed: int,
             offset: float = 0.0) -> dict:
    return run_variant(model, shape, TARGET, tmp_path, seed, offset)


def conv_cases(n: int, seed: int):
    """in_c / out_c that are not multiples of any vector length, k in {1, 3, 5}, stride,
    dilation and asymmetric padding; first-layer-like (in_c 3) and wide (fsz > 256). The
    fixed cases reach each way the kernel reads a window (channel lanes, dot products over
    rows, over a patch, over a border window too large for a patch)."""
    yield from variant_conv_cases(n, seed, lambda rng: (int(rng.integers(1, 40)),
                                                         int(rng.integers(1, 40))))
    yield 3, 16, 3, 1, 1, (1, 1, 1, 1), 9      # first layer: patch path
    yield 3, 8, 3, 2, 1, (1, 1, 1, 1), 12      # first layer, stride 2
    yield 37, 70, 3, 1, 1, (1, 0, 2, 1), 6     # fsz > 256 border windows, 3 oc chunks
    yield 29, 2, 5, 1, 2, (2, 2, 0, 1), 11     # out_c < 4, dilation, fsz > 256
    yield 16, 5, 1, 1, 1, (0, 0, 0, 0), 4      # pointwise
    yield 16, 6, 3, 1, 1, (1, 1, 1, 1), 7      # dot products over rows, patched borders
    yield 5, 4, 5, 1, 2, (2, 1, 0, 2), 11      # dot products over a patch, dilation
    yield 5, 7, 5, 2, 1, (2, 2, 2, 2), 9       # dot products over a patch, stride
    yield 3, 16, 3, 1, 1, (1, 1, 1, 1), 34     # pixel lanes: first layer, padded rows
    yield 3, 8, 3, 2, 1, (1, 1, 1, 1), 40      # pixel lanes, stride 2
    yield 8, 16, 1, 1, 1, (0, 0, 0, 0), 36     # pixel lanes: narrow pointwise, two passes
    yield 5, 7, 3, 1, 1, (0, 2, 1, 0), 40      # pixel lanes: odd rows, overlapping blocks
    yield 4, 2, 3, 1, 1, (1, 1, 1, 1), 36      # pixel lanes: fewer than three filters


@pytest.mark.parametrize("case", list(conv_cases(8, 21)), ids=str)
def test_conv2d_rvv_bit_exact(case, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, tmp_path, seed=1, offset=2.5 if case[0] % 2 else 0.0)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_rvv"


def dwconv_cases(n: int, seed: int):
    """k 3 / 5 / 7, stride 1 / 2, dilation, channel multiplier 1 and 2, channel counts
    past one vector (and past one 64-channel pass), padding on every side. (WIDE_DW_CASES:
    rows wide enough for several (pixel, channel) lane passes.)"""
    rng = np.random.default_rng(seed)
    for i in range(n):
        c = int(rng.choice([2, 5, 8, 17, 33, 70]))
        k = int(rng.choice([3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        mult = 2 if i % 4 == 3 else 1
        pads = tuple(int(v) for v in rng.integers(0, k, 4))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 5))
        yield c, mult, k, stride, dil, pads, size


WIDE_DW_CASES = [(8, 1, 3, 1, 1, (1, 1, 1, 1), 40), (16, 1, 5, 2, 1, (2, 2, 2, 2), 30),
                 (6, 1, 3, 1, 2, (2, 0, 1, 3), 36)]


@pytest.mark.parametrize("case", list(dwconv_cases(10, 5)) + WIDE_DW_CASES, ids=str)
def test_dwconv2d_rvv_bit_exact(case, tmp_path):
    c, mult, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads),
                          nn.Conv2d(c, c * mult, k, stride, 0, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), tmp_path, seed=3,
                      offset=2.0 if c % 2 else 0.0)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_rvv"


@pytest.mark.parametrize("features", [(1, 3), (75, 7), (130, 37), (9, 2)], ids=str)
def test_linear_rvv_bit_exact(features, tmp_path):
    n_in, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, 40), nn.ReLU(), nn.Linear(40, n_out))
    report = run_case(model, (1, n_in), tmp_path, seed=4)
    assert report["kernel_variants"]["tq_fc_s8"] == "tq_fc_s8_rvv"


@pytest.mark.parametrize("case", [(5, 4, 0.0), (16, 7, 1.5), (3, 11, -2.0)], ids=str)
def test_add_rvv_bit_exact(case, tmp_path):
    c, size, offset = case
    torch.manual_seed(0)
    report = run_case(Residual(c, nn.ReLU()), (1, c, size, size + 1), tmp_path, seed=6,
                      offset=offset)
    assert report["kernel_variants"]["tq_add_s8"] == "tq_add_s8_rvv"


@pytest.mark.parametrize("case", [(5, 9, 3, 2, 1, False), (16, 7, 3, 1, 1, True),
                                  (33, 6, 2, 2, 0, False), (40, 5, 0, 1, 0, False)], ids=str)
def test_avgpool_rvv_bit_exact(case, tmp_path):
    """Padded windows with and without count_include_pad, more than one 32-channel pass,
    and a global pool (k = 0 below); the requantizing conv before it gives in_zp != 0."""
    c, size, k, stride, pad, include = case
    torch.manual_seed(0)
    pool = (nn.AdaptiveAvgPool2d(1) if k == 0 else
            nn.AvgPool2d(k, stride, pad, count_include_pad=include))
    model = nn.Sequential(nn.Conv2d(3, c, 1), pool)
    report = run_case(model, (1, 3, size, size + 1), tmp_path, seed=7, offset=1.0)
    assert report["kernel_variants"]["tq_avgpool2d_s8"] == "tq_avgpool2d_s8_rvv"


def maxpool_cases(n: int, seed: int):
    """n random (c, k, stride, pad, dil, ceil, h, w, both): k 2 / 3, padding up to k // 2,
    dilation, ceil_mode, channel counts that are not a multiple of the vector length (one
    m8 strip is 128 channels at VLEN 128; 130 takes two), and the activation after the pool
    fused into its clamp: a ReLU, or (both) a Hardtanh whose bounds both cut. (The last
    fixed case: rows so narrow that no window lies wholly inside.)"""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([3, 13, 17, 33, 130]))
        k = int(rng.choice([2, 3]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = int(rng.integers(0, k // 2 + 1))
        span = dil * (k - 1) + 1
        yield (c, k, stride, pad, dil, bool(rng.integers(0, 2)), span + int(rng.integers(0, 5)),
               span + int(rng.integers(0, 7)), bool(rng.integers(0, 2)))


@pytest.mark.parametrize("case", list(maxpool_cases(8, 44))
                         + [(130, 3, 2, 1, 1, True, 9, 8, True),
                            (13, 3, 1, 1, 2, False, 7, 9, False),
                            (5, 3, 1, 1, 1, True, 5, 2, True)], ids=str)
def test_maxpool_rvv_bit_exact(case, tmp_path):
    c, k, stride, pad, dil, ceil, h, w, both = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, 1), nn.MaxPool2d(k, stride, pad, dil, ceil_mode=ceil),
                          nn.Hardtanh(-0.3, 0.4) if both else nn.ReLU())
    report = run_case(model, (1, c, h, w), tmp_path, seed=13, offset=0.5)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_rvv"


LUT_ACTS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "hardswish": nn.Hardswish,
            "silu": nn.SiLU}


@pytest.mark.parametrize("case", [("sigmoid", 3, 5, 7), ("tanh", 16, 9, 11),
                                  ("hardswish", 130, 1, 1), ("silu", 1, 16, 8)], ids=str)
def test_lut_rvv_bit_exact(case, tmp_path):
    """Sizes below one 128-byte strip, with a tail past whole strips, and whole strips."""
    act, c, h, w = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, 1), LUT_ACTS[act]())
    report = run_case(model, (1, c, h, w), tmp_path, seed=8, offset=0.5)
    assert report["kernel_variants"]["tq_lut_s8"] == "tq_lut_s8_rvv"


def test_pool_lut_rvv_in_place_bit_exact(tmp_path):
    """--in-place all: the unpadded max pools (one with a ReLU6 in its clamp, one of 130
    channels, two strips) and the lookup tables run over their own input (out == in)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 12, 3), nn.MaxPool2d(2), nn.Conv2d(12, 7, 1),
                          nn.ReLU6(), nn.MaxPool2d(3, 1), nn.Conv2d(7, 130, 1), nn.Sigmoid(),
                          nn.MaxPool2d(2, 1), nn.Conv2d(130, 5, 1), nn.Tanh())
    out, calib = convert_in_place(model, (3, 14, 13), TARGET, tmp_path, seed=15)
    source = (out / "model.c").read_text()
    for call in (r"TQ_MAXPOOL2D_S8\(&\w+, (.+?), (.+?)\);", r"TQ_LUT_S8\((.+?), (.+?), "):
        calls = re.findall(call, source)
        assert any(a == b for a, b in calls), calls  # out == in
    report = run_bit_exact(out, TARGET, calib)
    assert report["kernel_variants"]["tq_maxpool2d_s8"] == "tq_maxpool2d_s8_rvv"
    assert report["kernel_variants"]["tq_lut_s8"] == "tq_lut_s8_rvv"
