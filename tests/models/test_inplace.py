"""In-place execution: elementwise layers whose input dies overwrite it; the arena
shrinks and the C stays bit-exact with the simulator."""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project


class Chain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 3, padding=1)
        self.c = nn.Conv2d(8, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(self.a(x))          # table, in place over a's output
        z = torch.tanh(y + self.b(y))         # add in place, then table in place
        return self.c(torch.nn.functional.hardswish(z))


def test_elementwise_layers_run_in_place(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((16, 3, 10, 10)).astype(np.float32)
    path = tmp_path / "chain.pt2"
    torch.export.save(torch.export.export(Chain().eval(), (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    convert_model(path, tmp_path / "p", ConvertOptions(calib=tmp_path / "calib.npy"))
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert len(report["inplace_layers"]) == 4
    assert report["arena_bytes"] < report["arena_without_inplace_bytes"]
    assert report["arena_bytes"] == report["arena_lower_bound_bytes"]
    result = Project(tmp_path / "p").test(rng.standard_normal((5, 3, 10, 10)).astype(np.float32))
    assert result.bit_exact, result.first_mismatch
