"""Cortex-M55 Helium (MVE) variants of the int4-weight (s8s4) kernels under QEMU:
randomized single-layer models with --weights int4, firmware outputs bit-exact with the
simulator, and the report naming the _mve kernel that ran."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.test_mve_kernels import (Cancel, conv_cases, dw_border_cases,
                                            dw_border_model, dw_cases, tie_channels)
from tests.kernels.variant_case import padded_conv, run_case
from tinyq.project import Project

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                                or shutil.which("qemu-system-arm") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")

TARGET = "qemu-m55"


@pytest.mark.parametrize("case", list(conv_cases(8, 23)), ids=str)
def test_conv2d_s8s4_mve_bit_exact(case, tmp_path):
    """Odd and even filter sizes (filters starting mid-byte), padding, stride, dilation."""
    model, shape = padded_conv(case)
    report = run_case(model, shape, TARGET, tmp_path, seed=1, offset=1.0, weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_mve"


@pytest.mark.parametrize("cin,cout,k,stride,pad", [(3, 16, 3, 1, 1), (3, 7, 3, 2, 1),
                                                   (1, 5, 5, 1, 2), (2, 3, 3, 1, 0),
                                                   (64, 64, 3, 1, 1), (8, 16, 1, 1, 0),
                                                   (37, 6, 1, 1, 0), (32, 5, 1, 1, 0),
                                                   (33, 3, 1, 1, 0), (31, 1, 1, 1, 0),
                                                   (7, 1, 3, 1, 1), (16, 2, 2, 1, 0),
                                                   (21, 4, 3, 2, 1)])
def test_conv2d_s8s4_mve_shapes(cin, cout, k, stride, pad, tmp_path):
    """First layers (cin 1-3), 1x1 with odd and even channel counts, long filters; filter
    sizes around the kernel's blocks of 32 (32: one whole block, 33: a part block of one
    element, 63: of 31, 64: two whole blocks, 189) and a single filter."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad))
    report = run_case(model, (1, cin, 7, 9), TARGET, tmp_path, seed=2, offset=0.5,
                      weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_mve"


def test_conv2d_s8s4_mve_layout_and_scratch(tmp_path):
    """int4 costs the arena no more than int8: the int4 MVE conv reads int8's windows in
    int8's scratch (TQ_CONV2D_MVE_SCRATCH: 3 windows rounded up to 4 bytes, 3 x 4 bytes of
    sums per output channel rounded up to 4), placed next to live tensors so an overrun
    would show as a mismatch. Its weights (ceil(fsz / 2) bytes per filter) sit under #if
    TQ_HAS_MVE; the host build of the same project (reference kernels, packed layout)
    still matches."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3))
    report = run_case(model, (1, 3, 9, 9), TARGET, tmp_path, seed=5, weights="int4")
    assert ([layer["scratch_bytes"] for layer in report["layers"]]
            == [3 * 28 + 12 * 8, 3 * 72 + 12 * 8])
    assert [layer["weight_bytes"] - 9 * 8 for layer in report["layers"]] == [8 * 14, 8 * 36]
    assert (tmp_path / "p" / "model_weights.c").read_text().count("#if TQ_HAS_MVE") == 2
    (tmp_path / "int8").mkdir()
    int8 = run_case(model, (1, 3, 9, 9), TARGET, tmp_path / "int8", seed=5)
    assert ([layer["scratch_bytes"] for layer in int8["layers"]]
            == [layer["scratch_bytes"] for layer in report["layers"]])
    result = Project(tmp_path / "p").test(np.random.default_rng(0).standard_normal(
        (2, 3, 9, 9)).astype(np.float32))
    assert result.bit_exact


@pytest.mark.parametrize("ratio,offset", [(1.001, 0.0), (1.0, 0.01)])
def test_conv2d_s8s4_mve_small_shift(ratio, offset, tmp_path):
    torch.manual_seed(0)
    report = run_case(Cancel(ratio, offset), (1, 3, 6, 7), TARGET, tmp_path, seed=1,
                      weights="int4")
    assert report["kernel_variants"]["tq_conv2d_s8s4"] == "tq_conv2d_s8s4_mve"


@pytest.mark.parametrize("features", [(9 * 5 * 5, 7, 3), (64, 10, 5), (300, 3, 1),
                                      (17, 11, 4), (97, 9, 6), (1, 3, 1), (2, 5, 4),
                                      (15, 17, 8), (16, 31, 3), (33, 32, 5), (63, 64, 1),
                                      (65, 128, 4), (640, 8, 128), (40, 130, 67),
                                      (40, 8, 66)], ids=str)
def test_linear_s8s4_mve_bit_exact(features, tmp_path):
    """in_features around the kernel's blocks of 32 (1, 2: a part block alone; 31, 32,
    33, 63, 64, 65, 640), out_features around its passes of four (1, 3: rows repeated; 5:
    an overlapping last pass) and its chunks of 64 sums (128; 130, 67, 66: a chunk of 60
    so that four are left to the last)."""
    n_in, hidden, n_out = features
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    report = run_case(model, (1, n_in), TARGET, tmp_path, seed=5, offset=0.5, weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_mve"


def test_linear_s8s4_mve_rows_and_layout(tmp_path):
    """A linear layer over a sequence (several rows, one call), no scratch. Its weights
    (ceil(in_features / 2) bytes per row) sit under #if TQ_HAS_MVE; the host build of the
    same project (reference kernels, packed layout) still matches."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(37, 9), nn.ReLU(), nn.Linear(9, 6))
    report = run_case(model, (1, 5, 37), TARGET, tmp_path, seed=5, weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_mve"
    assert [layer["scratch_bytes"] for layer in report["layers"]] == [0, 0]
    assert (tmp_path / "p" / "model_weights.c").read_text().count("#if TQ_HAS_MVE") == 2
    result = Project(tmp_path / "p").test(np.random.default_rng(0).standard_normal(
        (2, 5, 37)).astype(np.float32))
    assert result.bit_exact


class CancelLinear(nn.Module):
    """Cancel as linear layers: two equal outputs subtracted, so the last layer's shifts
    drop to 33 and below (the vector requantization's low-word path)."""

    def __init__(self, ratio: float, offset: float) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(35, 8), nn.Linear(8, 5)
        tie_channels(self.a, self.b, ratio, offset)
        with torch.no_grad():
            self.b.weight[:, 0] = 1.0
            self.b.weight[:, 1] = -1.0
            self.b.weight[:, 2:] = 1e-4 * torch.randn(5, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))


@pytest.mark.parametrize("ratio,offset", [(1.001, 0.0), (1.0, 0.2), (1.0, 0.01)])
def test_linear_s8s4_mve_small_shift(ratio, offset, tmp_path):
    torch.manual_seed(0)
    report = run_case(CancelLinear(ratio, offset), (1, 35), TARGET, tmp_path, seed=1,
                      weights="int4")
    assert report["kernel_variants"]["tq_fc_s8s4"] == "tq_fc_s8s4_mve"


@pytest.mark.parametrize("case", [(3, 1, 3, 1, 1, 1, 6), (7, 1, 3, 2, 1, 1, 7),
                                  (13, 1, 5, 1, 2, 2, 9), (8, 1, 7, 2, 1, 3, 10),
                                  (20, 2, 3, 1, 1, 1, 6), (16, 1, 3, 1, 1, 1, 6),
                                  (10, 1, 3, 2, 1, 1, 7), (24, 1, 5, 1, 2, 2, 9),
                                  (64, 1, 3, 1, 1, 1, 5), (14, 1, 7, 1, 1, 3, 9),
                                  (38, 1, 3, 1, 1, 0, 5)] + list(dw_cases(4, 9)), ids=str)
def test_dwconv2d_s8s4_mve_bit_exact(case, tmp_path):
    """Even channel counts (groups of 16 and 8, overlapping last groups), odd ones and
    multipliers (the reference path), 3x3 / 5x5 / 7x7, stride, dilation, padding."""
    c, mult, k, stride, dil, pad, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c * mult, k, stride, pad, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), TARGET, tmp_path, seed=3, offset=1.0,
                      weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_mve"


@pytest.mark.parametrize("case", list(dw_border_cases(6, 12)), ids=str)
def test_dwconv2d_s8s4_mve_border_heavy(case, tmp_path):
    """Windows mostly in the padding (small maps, asymmetric padding, stride 2, dilation):
    the padded taps' in_zp sums from unpacked nibbles."""
    model, shape = dw_border_model(case)
    report = run_case(model, shape, TARGET, tmp_path, seed=4, offset=1.0, weights="int4")
    assert report["kernel_variants"]["tq_dwconv2d_s8s4"] == "tq_dwconv2d_s8s4_mve"
