"""In-place execution: elementwise layers whose input dies overwrite it; the arena
shrinks and the C stays bit-exact with the simulator."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project

from tests.models.sanitized import run_sanitized
from tests.models.test_bad_input import assert_clean_failure


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


class Rows(nn.Module):
    """Every kind of convolution that runs in place over its input by rows: depthwise 3x3,
    dilated, 5x5 and with asymmetric padding (F.pad folded into the conv), a full 3x3 conv
    and 1x1 convs with as many output as input channels (two rows per call on a 13 x 15
    map); pooling in between."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.dw3 = nn.Conv2d(12, 12, 3, padding=1, groups=12)
        self.dwd = nn.Conv2d(12, 12, 3, padding=2, dilation=2, groups=12)
        self.dw5 = nn.Conv2d(12, 12, 5, padding=2, groups=12)
        self.dwa = nn.Conv2d(12, 12, 3, groups=12)
        self.conv = nn.Conv2d(12, 12, 3, padding=1)
        self.pw = nn.Conv2d(12, 12, 1)
        self.pool = nn.MaxPool2d(2)
        self.pw2 = nn.Conv2d(12, 12, 1)
        self.avg = nn.AvgPool2d(2)
        self.head = nn.Linear(12 * 3 * 3, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.stem(x))
        y = torch.relu(self.dw3(y))
        y = torch.relu(self.dwd(y))
        y = torch.relu(self.dw5(y))
        y = torch.relu(self.dwa(torch.nn.functional.pad(y, (1, 1, 2, 0))))
        y = torch.relu(self.conv(y))
        y = self.pool(torch.relu(self.pw(y)))
        y = self.avg(torch.relu(self.pw2(y)))
        return self.head(y.flatten(1))


@pytest.fixture(scope="module")
def rows_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rows")
    torch.manual_seed(0)
    calib = np.random.default_rng(1).standard_normal((8, 3, 25, 29)).astype(np.float32)
    path = tmp / "rows.pt2"
    torch.export.save(torch.export.export(Rows().eval(),
                                          (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp / "calib.npy", calib)
    return path, tmp / "calib.npy", calib


def in_place_kinds(out) -> dict[str, str]:
    report = json.loads((out / "report.json").read_text())
    return {layer["source"].split(" ")[0]: layer["in_place"] for layer in report["layers"]}


@pytest.mark.parametrize("weights", ["int8", "int4"])
def test_convolutions_and_pools_run_in_place_bit_exactly(weights, rows_files, tmp_path):
    path, calib_path, calib = rows_files
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=calib_path, weights=weights, patch="off",
                                            inplace="all"))
    kinds = in_place_kinds(out)
    for layer in ("dw3", "dwd", "dw5", "dwa", "conv", "pw", "pw2"):
        assert kinds[layer] == "rows", layer
    assert kinds["stem"] == "no"
    report = json.loads((out / "report.json").read_text())
    # The ring of a 5x5 layer holds 3 rows of 13 x 15 x 12; a 1x1 layer on the odd rows
    # runs two at a time (the last call one).
    layers = {layer["source"].split(" ")[0]: layer for layer in report["layers"]}
    assert layers["dw5"]["scratch_bytes"] == 3 * 15 * 12
    assert layers["pw"]["scratch_bytes"] == 2 * 15 * 12
    assert report["arena_bytes"] < report["arena_without_inplace_bytes"]
    project = Project(out)
    result = project.test(calib[:4])
    assert result.bit_exact, result.first_mismatch
    xq = project.quantize_input(calib[:3])
    assert np.array_equal(run_sanitized(project, xq, tmp_path), project.simulate(xq).ravel())


@pytest.mark.parametrize("target", ["qemu-m4", "qemu-m55", "qemu-rv32v"])
def test_in_place_rows_are_bit_exact_on_every_isa(target, rows_files, tmp_path):
    path, calib_path, calib = rows_files
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=calib_path, target=target, patch="off",
                                            inplace="all"))
    assert in_place_kinds(out)["dw3"] == "rows"
    variants = json.loads((out / "report.json").read_text())["kernel_variants"]
    if target == "qemu-rv32v":  # the row copies bound to their vector variant
        assert variants["tq_rows_commit"] == "tq_rows_commit_rvv"
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:2]))
    assert run.bit_exact


class PoolFirst(nn.Module):
    """A wide early map pooled at once: max and average pooling over their own input save
    the most (the pooled output fits in the map being read)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.squeeze = nn.Conv2d(16, 4, 3, padding=1, stride=2)
        self.avg = nn.AvgPool2d(2)
        self.head = nn.Linear(4 * 2 * 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(torch.relu(self.stem(x)))
        return self.head(self.avg(torch.relu(self.squeeze(y))).flatten(1))


def test_pooling_runs_in_place_where_it_shrinks_the_arena(tmp_path):
    torch.manual_seed(0)
    calib = np.random.default_rng(2).standard_normal((8, 3, 16, 16)).astype(np.float32)
    path = tmp_path / "pool.pt2"
    torch.export.save(torch.export.export(PoolFirst().eval(), (torch.as_tensor(calib[:1]),)),
                      path)
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=tmp_path / "calib.npy", patch="off"))
    assert in_place_kinds(out)["pool"] == "yes"
    report = json.loads((out / "report.json").read_text())
    # Without: the 16x16x16 map and its 8x8x16 pooling; in place the map alone, then the
    # map's buffer (still holding the pooled values) with the 4x4x4 squeeze output.
    assert report["arena_without_inplace_bytes"] == 4096 + 1024
    assert report["arena_bytes"] == 4096 + 64
    result = Project(out).test(calib[:4])
    assert result.bit_exact, result.first_mismatch


def test_bad_in_place_mode_names_the_option(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "--in-place",
            "sometimes", "-o", out)
    assert_clean_failure(r, out, "--in-place 'sometimes'", "auto, all, off")
