"""Cortex-M DSP variants under QEMU: randomized single-layer models, firmware outputs
bit-exact with the simulator, and the report naming the _dsp kernel that ran."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tests.kernels.variant_case import conv_cases as variant_conv_cases
from tests.kernels.variant_case import padded_conv, run_case
from tinyq.project import Project

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")


def conv_cases(n: int, seed: int):
    """cin, cout 1..17: filter sizes k * k * cin of every parity and remainder mod 4 and 8."""
    return variant_conv_cases(n, seed, lambda rng: (int(rng.integers(1, 18)),
                                                    int(rng.integers(1, 18))))


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m7", "qemu-m33"])
@pytest.mark.parametrize("case", list(conv_cases(4, 11)), ids=str)
def test_conv2d_dsp_bit_exact(case, target, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, target, tmp_path, seed=1)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_dsp"


def test_grouped_conv_and_linear_dsp_bit_exact(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.Flatten(),
                          nn.Linear(9 * 5 * 5, 7), nn.ReLU(), nn.Linear(7, 3))
    report = run_case(model, (1, 6, 5, 5), "qemu-m4", tmp_path, seed=2)
    assert report["kernel_variants"]["tq_fc_s8"] == "tq_fc_s8_dsp"


def dw_cases(n: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.choice([4, 8, 6, 13]))
        k = int(rng.choice([3, 5, 7]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = int(rng.integers(0, k // 2 + 1))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 5))
        yield c, k, stride, dil, pad, size


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m33"])
@pytest.mark.parametrize("case", list(dw_cases(4, 5)), ids=str)
def test_dwconv2d_dsp_bit_exact(case, target, tmp_path):
    c, k, stride, dil, pad, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, c, k, stride, pad, dil, groups=c), nn.ReLU6())
    report = run_case(model, (1, c, size, size + 2), target, tmp_path, seed=3)
    assert report["kernel_variants"]["tq_dwconv2d_s8"] == "tq_dwconv2d_s8_dsp"


def test_dwconv2d_channel_multiplier_dsp_bit_exact(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(4, 8, 3, 1, 1, groups=4))
    run_case(model, (1, 4, 6, 7), "qemu-m4", tmp_path, seed=4)


def test_conv_scratch_is_planned_in_the_arena(tmp_path):
    """The DSP conv's im2col scratch is an arena region of TQ_CONV2D_DSP_SCRATCH bytes
    (24 per group of 4 filter elements) alive for its layer only; the host build of the
    same project (reference kernels) ignores it and still matches."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3))
    report = run_case(model, (1, 3, 9, 9), "qemu-m4", tmp_path, seed=5)
    live = [set(step["live"]) for step in report["memory_timeline"]]
    scratch = [sorted(n for n in names if n.endswith("#scratch")) for names in live]
    assert [len(s) for s in scratch] == [1, 1]
    assert "TQ_CONV2D_S8((arena8 + " in (tmp_path / "p" / "model.c").read_text()
    result = Project(tmp_path / "p").test(np.random.default_rng(0).standard_normal(
        (2, 3, 9, 9)).astype(np.float32))
    assert result.bit_exact
