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


# ---- --optimize speed: tq_conv2d_s8s16_dsp with weights pre-widened to int16 ----------

def speed_cases(n: int, seed: int):
    """As conv_cases, with cin 1..3 (first layers) drawn as often as larger ones."""
    return variant_conv_cases(n, seed, lambda rng: (
        int(rng.integers(1, 4)) if rng.random() < 0.4 else int(rng.integers(4, 20)),
        int(rng.integers(1, 18))))


@pytest.mark.parametrize("case", list(speed_cases(10, 23)), ids=str)
def test_conv2d_speed_bit_exact_m4(case, tmp_path):
    model, shape = padded_conv(case)
    report = run_case(model, shape, "qemu-m4", tmp_path, seed=6, offset=1.5, optimize="speed")
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8s16_dsp"
    assert report["optimize"] == "speed"


@pytest.mark.parametrize("target", ["qemu-m7", "qemu-m33"])
@pytest.mark.parametrize("case", list(speed_cases(2, 29)), ids=str)
def test_conv2d_speed_bit_exact_m7_m33(case, target, tmp_path):
    model, shape = padded_conv(case)
    run_case(model, shape, target, tmp_path, seed=7, optimize="speed")


@pytest.mark.parametrize("optimize", ["size", "speed"])
@pytest.mark.parametrize("cin, cout, k, stride, pad", [(3, 16, 3, 1, 1), (3, 7, 3, 2, 1),
                                                       (16, 9, 1, 1, 0), (8, 16, 1, 2, 0),
                                                       (12, 5, 5, 1, 2)])
def test_conv2d_padded_in_kernel_bit_exact(cin, cout, k, stride, pad, optimize, tmp_path):
    """Padding done by the kernel (in_zp far from 0), first layers, 1x1 with stride."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad), nn.ReLU())
    run_case(model, (1, cin, 9, 11), "qemu-m4", tmp_path, seed=8, offset=2.0,
             optimize=optimize)


def test_speed_project_on_host_and_flash_counts(tmp_path):
    """The same speed-mode project built on the host (reference kernels, reference layout
    under #else) is bit-exact; report.json counts the layout the target holds: size, each
    filter zero-padded to a multiple of 4 bytes; speed, per pair of filters 2 * 8
    ceil(27 / 8) halfwords, a zero filter after the odd last."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1), nn.ReLU(), nn.Conv2d(5, 4, 1,
                                                                               groups=1))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    size = run_case(model, (1, 3, 8, 8), "qemu-m4", tmp_path / "a", seed=9)
    speed = run_case(model, (1, 3, 8, 8), "qemu-m4", tmp_path / "b", seed=9,
                     optimize="speed")
    def conv_bytes(report):  # patch copies of a layer share its arrays: counted once
        return [layer["weight_bytes"] for layer in report["layers"] if layer["weight_bytes"]]

    requant = 9  # bias, mult (int32) and shift (int8) per channel
    assert conv_bytes(size) == [5 * 28 + 5 * requant, 4 * 8 + 4 * requant]
    assert conv_bytes(speed) == [3 * 2 * 32 * 2 + 5 * requant, 2 * 2 * 8 * 2 + 4 * requant]
    assert speed["weight_bytes"] - size["weight_bytes"] == 384 - 140 + 64 - 32
    text = (tmp_path / "b" / "p" / "model_weights.c").read_text()
    assert text.count("#if TQ_HAS_DSP") == 2 and "aligned(4)" in text
    x = np.random.default_rng(0).standard_normal((3, 3, 8, 8)).astype(np.float32)
    assert Project(tmp_path / "b" / "p").test(x).bit_exact


def test_grouped_conv_keeps_reference_layout_in_speed_mode(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.ReLU(),
                          nn.Conv2d(9, 4, 3))
    report = run_case(model, (1, 6, 6, 7), "qemu-m4", tmp_path, seed=10, optimize="speed")
    assert report["layers"][0]["weight_bytes"] == 9 * 18 + 9 * 9
    assert (tmp_path / "p" / "model_weights.c").read_text().count("#if TQ_HAS_DSP") == 1


def test_bad_optimize_value_names_the_option(tmp_path):
    from click.testing import CliRunner

    from tinyq.cli import main

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3)).eval()
    calib = np.random.default_rng(0).standard_normal((4, 1, 6, 6)).astype(np.float32)
    torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)),
                      tmp_path / "m.pt2")
    np.save(tmp_path / "c.npy", calib)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["convert", str(tmp_path / "m.pt2"), "--calib",
                                  str(tmp_path / "c.npy"), "--optimize", "fast", "-o",
                                  str(out)], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    assert r.output.startswith("tinyq: error:") and "--optimize 'fast'" in r.output
    assert "size, speed" in r.output and "Traceback" not in r.output
    assert not out.exists() and not [p for p in tmp_path.iterdir()
                                      if p.name.startswith(".out")]
