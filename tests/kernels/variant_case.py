"""One randomized single-layer model converted for a QEMU target and run there, bit-exact
with the simulator: the shared step of every ISA-variant test."""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project


def run_case(model: nn.Module, shape: tuple[int, ...], target: str, tmp_path, seed: int,
             offset: float = 0.0, weights: str = "int8") -> dict:
    """Returns report.json. `offset` shifts the inputs so the input zero point moves far
    from 0 (padding then contributes in_zp * w). `weights`: "int8" or "int4" (the s8s4
    kernels)."""
    rng = np.random.default_rng(seed)
    calib = (rng.standard_normal((8, *shape[1:])) + offset).astype(np.float32)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model.eval(), (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=tmp_path / "calib.npy", target=target,
                                            weights=weights, force=True))
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:3]))
    assert run.bit_exact, f"input {run.first_mismatch} differs"
    return json.loads((out / "report.json").read_text())
