"""Cortex-M DSP variants under QEMU: randomized single-layer models, firmware outputs
bit-exact with the simulator, and the report naming the _dsp kernel that ran."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")


def run_case(model: nn.Module, shape: tuple[int, ...], target: str, tmp_path, seed: int):
    rng = np.random.default_rng(seed)
    calib = rng.standard_normal((8, *shape[1:])).astype(np.float32)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model.eval(), (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=tmp_path / "calib.npy", target=target,
                                            force=True))
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:3]))
    assert run.bit_exact, f"input {run.first_mismatch} differs"
    return json.loads((out / "report.json").read_text())


def conv_cases(n: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        cin, cout = int(rng.integers(1, 18)), int(rng.integers(1, 18))
        k = int(rng.choice([1, 3, 5]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pads = tuple(int(v) for v in rng.integers(0, 3, 4))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 6))
        yield cin, cout, k, stride, dil, pads, size


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m7", "qemu-m33"])
@pytest.mark.parametrize("case", list(conv_cases(4, 11)), ids=str)
def test_conv2d_dsp_bit_exact(case, target, tmp_path):
    cin, cout, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads), nn.Conv2d(cin, cout, k, stride, 0, dil),
                          nn.ReLU())
    report = run_case(model, (1, cin, size, size + 1), target, tmp_path, seed=1)
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_dsp"


def test_grouped_conv_and_linear_dsp_bit_exact(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(6, 9, 3, padding=1, groups=3), nn.Flatten(),
                          nn.Linear(9 * 5 * 5, 7), nn.ReLU(), nn.Linear(7, 3))
    report = run_case(model, (1, 6, 5, 5), "qemu-m4", tmp_path, seed=2)
    assert report["kernel_variants"]["tq_fc_s8"] == "tq_fc_s8_dsp"
