"""Every zoo model (seeded random weights, non-trivial BatchNorm statistics) converts
through the CLI path, and its generated C matches the simulator bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.zoo import ZOO, build


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_is_bit_exact(name, tmp_path):
    entry = ZOO[name]
    model = build(name, seed=0)
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((24, *entry.input_shape[1:])).astype(np.float32)
    x = rng.standard_normal((6, *entry.input_shape[1:])).astype(np.float32)
    path = tmp_path / f"{name}.pt2"
    torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / name
    convert_model(path, out, ConvertOptions(calib=tmp_path / "calib.npy"))
    result = Project(out).test(x)
    assert result.bit_exact, result.first_mismatch
    report = json.loads((out / "report.json").read_text())
    assert report["arena_lower_bound_bytes"] <= report["arena_bytes"]
    assert report["macs"] > 0
