"""RISC-V vector (RVV 1.0) variants of the int4-weight (s8s4) kernels under QEMU:
randomized single-layer models with --weights int4, firmware outputs bit-exact with the
simulator, and the report naming the _rvv kernel that ran."""

from __future__ import annotations

import shutil

import pytest
import torch
import torch.nn as nn

from tests.kernels.test_rvv_kernels import WIDE_DW_CASES, TARGET, conv_cases, dwconv_cases
from tests.kernels.variant_case import padded_conv, run_case

pytestmark = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None
    or shutil.which("qemu-system-riscv32") is None,
    reason="RISC-V toolchain or QEMU missing: scripts/install_toolchains.sh")


def int4_conv_cases():
    """The int8 cases (odd and even filter sizes, lanes and dot products, fsz > 256) and
    the ways only the int4 kernel has: odd filter sizes on dot products (filters paired by
    parity, patch between zeros), rows read directly (even rows), border windows past a
    patch gathered row by row, odd rows past a patch (reference)."""
    yield from conv_cases(8, 21)
    yield 5, 9, 5, 1, 1, (2, 2, 2, 2), 8       # fsz 125 odd, dot over a patch
    yield 32, 12, 3, 1, 1, (1, 1, 1, 1), 6     # fsz 288 even: rows, row-wise borders
    yield 16, 13, 3, 1, 1, (0, 0, 0, 0), 6     # even rows read directly
    yield 30, 7, 3, 1, 2, (2, 1, 2, 1), 9      # dilation, row-wise borders
    yield 3, 33, 3, 2, 1, (1, 1, 1, 1), 10     # first layer, two lane sets, two chunks


@pytest.mark.parametrize("case", list(int4_conv_cases()), ids=str)
def test_conv2d_s8s4_rvv_bit_exact(case, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, TARGET, tmp_path, seed=1,
                      offset=2.5 if case[0] % 2 else 0.0, weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_rvv"


@pytest.mark.parametrize("case", list(dwconv_cases(10, 5)) + WIDE_DW_CASES
                         + [(66, 1, 3, 2, 1, (0, 1, 1, 0), 7)], ids=str)
def test_dwconv2d_s8s4_rvv_bit_exact(case, tmp_path):
    c, mult, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads),
                          nn.Conv2d(c, c * mult, k, stride, 0, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), TARGET, tmp_path, seed=3,
                      offset=2.0 if c % 2 else 1.0, weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_rvv"


@pytest.mark.parametrize("features", [(1, 3), (75, 7), (130, 37), (9, 2), (2001, 5)],
                         ids=str)
def test_linear_s8s4_rvv_bit_exact(features, tmp_path):
    """Odd in_features (rows start mid-byte), even ones, several chunks, and a row longer
    than one call's 15 int16 passes."""
    n_in, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, 41), nn.ReLU(), nn.Linear(41, n_out))
    report = run_case(model, (1, n_in), TARGET, tmp_path, seed=4, offset=0.5, weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_rvv"
