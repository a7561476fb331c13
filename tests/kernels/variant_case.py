"""One randomized single-layer model converted for a QEMU target and run there, bit-exact
with the simulator: the shared step of every ISA-variant test; and the randomized
convolution geometries those tests draw."""

from __future__ import annotations

import json
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project


def convert(model: nn.Module, calib: np.ndarray, target: str, tmp_path, **options):
    """Exports `model`, converts it for `target` with `calib` and ConvertOptions `options`
    into tmp_path / "p", and returns that directory."""
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model.eval(), (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=tmp_path / "calib.npy", target=target,
                                            force=True, **options))
    return out


def run_bit_exact(out, target: str, calib: np.ndarray) -> dict:
    """Runs the project at `out` on `target` over the first three calibration inputs,
    asserts its outputs are the simulator's bit for bit, and returns report.json."""
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:3]))
    assert run.bit_exact, f"input {run.first_mismatch} differs"
    return json.loads((out / "report.json").read_text())


def run_case(model: nn.Module, shape: tuple[int, ...], target: str, tmp_path, seed: int,
             offset: float = 0.0, weights: str = "int8", optimize: str = "size") -> dict:
    """Returns report.json. `offset` shifts the inputs so the input zero point moves far
    from 0 (padding then contributes in_zp * w). `weights`: "int8" or "int4" (the s8s4
    kernels); `optimize`: "size" or "speed" (--optimize)."""
    rng = np.random.default_rng(seed)
    calib = (rng.standard_normal((8, *shape[1:])) + offset).astype(np.float32)
    out = convert(model, calib, target, tmp_path, weights=weights, optimize=optimize)
    return run_bit_exact(out, target, calib)


def convert_in_place(model: nn.Module, shape: tuple[int, ...], target: str, tmp_path,
                     seed: int) -> tuple:
    """Converts with --in-place all (every op that may run over its input does): the
    project's directory and the calibration inputs."""
    calib = np.random.default_rng(seed).standard_normal((8, *shape)).astype(np.float32)
    return convert(model, calib, target, tmp_path, inplace="all"), calib


ConvCase = tuple[int, int, int, int, int, tuple[int, ...], int]


def conv_cases(n: int, seed: int, channels: Callable[[np.random.Generator], tuple[int, int]]
               ) -> Iterator[ConvCase]:
    """n random (cin, cout, k, stride, dil, pads, size): `channels` draws (cin, cout) in the
    way an ISA's tests need; k in {1, 3, 5}, stride and dilation 1 or 2, asymmetric
    padding, and a map a little larger than the dilated kernel."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        cin, cout = channels(rng)
        k = int(rng.choice([1, 3, 5]))
        stride, dil = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pads = tuple(int(v) for v in rng.integers(0, 3, 4))
        size = dil * (k - 1) + 1 + int(rng.integers(0, 6))
        yield cin, cout, k, stride, dil, pads, size


def padded_conv(case: ConvCase) -> tuple[nn.Module, tuple[int, ...]]:
    """The case as explicit zero padding, a convolution and a ReLU; its input shape."""
    cin, cout, k, stride, dil, pads, size = case
    torch.manual_seed(0)
    model = nn.Sequential(nn.ZeroPad2d(pads), nn.Conv2d(cin, cout, k, stride, 0, dil),
                          nn.ReLU())
    return model, (1, cin, size, size + 1)


class Residual(nn.Module):
    """Two branches with different scales joined by the add under test, then `act`."""

    def __init__(self, c: int, act: nn.Module) -> None:
        super().__init__()
        self.a, self.b, self.act = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 3, padding=1), act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.a(x) + self.b(x))
