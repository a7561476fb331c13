"""Cortex-M55 Helium (MVE) variants under QEMU: randomized single-layer models, firmware
outputs bit-exact with the simulator, and the report naming the _mve kernel that ran."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.variant_case import conv_cases as variant_conv_cases
from tests.kernels.variant_case import padded_conv
from tests.kernels.variant_case import run_case as run_variant

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                                or shutil.which("qemu-system-arm") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")

TARGET = "qemu-m55"


def run_case(model: nn.Module, shape: tuple[int, ...], tmp_path, seed: int,
             offset: float = 0.0) -> dict:
    return run_variant(model, shape, TARGET, tmp_path, seed, offset)


def conv_cases(n: int, seed: int):
    """in_c mostly not a multiple of 16, runs longer than a vector, out_c not a multiple of
    4 (with asymmetric padding, stride and dilation)."""
    return variant_conv_cases(n, seed, lambda rng: (int(rng.choice([1, 3, 5, 16, 19, 33])),
                                                    int(rng.choice([1, 3, 4, 6, 9, 17]))))


@pytest.mark.parametrize("case", list(conv_cases(8, 5)), ids=str)
def test_conv2d_mve_bit_exact(case, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, tmp_path, seed=1)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_mve"


@pytest.mark.parametrize("cin,cout,k,stride,pad", [(3, 16, 3, 1, 1), (3, 8, 3, 2, 1),
                                                   (64, 64, 3, 1, 1), (8, 16, 1, 1, 0)])
def test_conv2d_mve_benchmark_shapes(cin, cout, k, stride, pad, tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad))
    report = run_case(model, (1, cin, 7, 9), tmp_path, seed=2)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_mve"


def dw_cases(n: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([1, 3, 8, 13, 20]))
        mult = int(rng.choice([1, 1, 2]))
        k = int(rng.choice([3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.choice([1, 1, 2]))
        pad = int(rng.integers(0, k // 2 + 1))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 5))
        yield c, mult, k, stride, dil, pad, size


@pytest.mark.parametrize("case", list(dw_cases(6, 7)), ids=str)
def test_dwconv2d_mve_bit_exact(case, tmp_path):
    c, mult, k, stride, dil, pad, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c * mult, k, stride, pad, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), tmp_path, seed=3)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_mve"


@pytest.mark.parametrize("case", [(8, 1, 3, 1, 1, 1, 6), (12, 1, 3, 2, 1, 1, 7),
                                  (16, 1, 5, 1, 1, 2, 8), (21, 1, 3, 1, 2, 2, 7),
                                  (29, 1, 7, 2, 1, 3, 9), (37, 1, 3, 1, 1, 0, 5),
                                  (64, 1, 3, 1, 1, 1, 5), (24, 1, 5, 2, 1, 2, 9)], ids=str)
def test_dwconv2d_mve_channel_groups(case, tmp_path):
    """Channel counts that are multiples of 16, of 8, and neither (the last group overlaps),
    with padding (the gathered window), stride, dilation, 3x3 / 5x5 / 7x7."""
    c, mult, k, stride, dil, pad, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c * mult, k, stride, pad, dil, groups=c))
    report = run_case(model, (1, c, size, size + 2), tmp_path, seed=3, offset=1.0)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_mve"


def dw_border_cases(n: int, seed: int):
    """Maps where most windows reach into the padding: a few pixels a side, padding up to
    the kernel size minus one on each side (asymmetric), stride 1 or 2, some windows all
    padding."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([8, 16, 24, 40, 64]))
        k = int(rng.choice([3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.choice([1, 1, 2]))
        pads = tuple(int(v) for v in rng.integers(0, k, size=4))
        h = int(rng.integers(1, 5))
        yield c, k, stride, dil, pads, h


def dw_border_model(case) -> tuple[nn.Module, tuple[int, ...]]:
    c, k, stride, dil, pads, h = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads), nn.Conv2d(c, c, k, stride, 0, dil, groups=c),
                          nn.ReLU6())
    # At least one output pixel: the padded map covers the dilated window.
    span = dil * (k - 1) + 1
    hh = max(h, span - pads[2] - pads[3])
    ww = max(h + 1, span - pads[0] - pads[1])
    return model, (1, c, hh, ww)


@pytest.mark.parametrize("case", [(16, 3, 1, 2, (3, 3, 3, 3), 1), (24, 7, 2, 1, (6, 0, 5, 1), 2)]
                         + list(dw_border_cases(8, 11)), ids=str)
def test_dwconv2d_mve_border_heavy(case, tmp_path):
    """Padded taps added as in_zp times their weights, never copied: small maps, 3x3 to
    7x7, stride 2, dilation, asymmetric padding (and an input offset: in_zp != 0); the
    first case has windows all in the padding (dilation 2 over a one-row map)."""
    model, shape = dw_border_model(case)
    report = run_case(model, shape, tmp_path, seed=4, offset=1.0)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_mve"


def test_grouped_conv_and_linear_mve_bit_exact(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.Flatten(),
                          nn.Linear(9 * 5 * 5, 37), nn.ReLU(), nn.Linear(37, 3))
    report = run_case(model, (1, 6, 5, 5), tmp_path, seed=2)
    assert report["kernel_variants"]["tq_fc_s8"] == "tq_fc_s8_mve"


def tie_channels(a: nn.Module, b: nn.Module, ratio: float, offset: float) -> None:
    """Output 1 of layer `a` made output 0 times `ratio` plus `offset`; layer `b` zeroed
    (its bias too when offset) for the caller to subtract the two."""
    with torch.no_grad():
        a.weight[1] = a.weight[0] * ratio
        a.bias[1] = a.bias[0] + offset
        if offset:
            b.bias.zero_()
        b.weight.zero_()


class Cancel(nn.Module):
    """Two equal channels subtracted: a tiny output scale, so the requantization shift
    drops to 33, the edge of the vector requantization (VRSHL by -1)."""

    def __init__(self, ratio: float = 1.001, offset: float = 0.0) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 5, 3, padding=1)
        tie_channels(self.a, self.b, ratio, offset)
        with torch.no_grad():
            self.b.weight[:, 0, 1, 1] = 1.0
            self.b.weight[:, 1, 1, 1] = -1.0
            self.b.weight[:, 2:] = 1e-4 * torch.randn(5, 6, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))


@pytest.mark.parametrize("ratio,offset", [(1.001, 0.0), (1.0, 0.2), (1.0, 0.06), (1.0, 0.01)])
def test_conv2d_mve_small_shift(ratio, offset, tmp_path):
    """Shifts of 33 and below (a constant output difference: a tiny output scale), so the
    vector requantization's low-word path (shift <= 32) runs too."""
    torch.manual_seed(0)
    report = run_case(Cancel(ratio, offset), (1, 3, 6, 7), tmp_path, seed=1)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_mve"
