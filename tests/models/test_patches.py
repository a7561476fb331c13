"""Patch-based execution: the rewritten graph gives the whole-tensor outputs bit for bit
(simulator), the generated C matches it on the host and under QEMU, the planner's choice
honours --max-mac-overhead / --sram-budget, and bad options fail cleanly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn

from tinyq.errors import TinyqError
from tinyq.pipeline import ConvertOptions, convert_model, quantized_graph
from tinyq.plan.arena import plan_arena
from tinyq.plan.patch import stage_nodes
from tinyq.plan.patch_choice import PatchOptions, plan_with_patches
from tinyq.plan.patch_exec import rewrite_for_patches
from tinyq.project import Project
from tinyq.sim.interpreter import run_int
from tinyq.sim.layout import to_ir_layout
from tinyq.zoo import build, example_input


class EarlyHeavy(nn.Module):
    """Large early maps (MCUNetV2's case): strided and padded convs, depthwise, an
    unpadded max pool, a residual add inside the stage, then a small head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 8, 1)
        self.pool = nn.MaxPool2d(2)
        self.conv = nn.Conv2d(8, 16, 5, padding=2, dilation=1)
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.relu(self.stem(x))
        y = torch.relu(self.pw(torch.relu(self.dw(s)))) + s
        y = torch.relu(self.conv(self.pool(y)))
        return self.head(y.mean((2, 3)))


def early_heavy_files(tmp_path):
    torch.manual_seed(0)
    model = EarlyHeavy().eval()
    calib = np.random.default_rng(0).standard_normal((8, 3, 29, 31)).astype(np.float32)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)), path)
    np.save(tmp_path / "calib.npy", calib)
    return path, tmp_path / "calib.npy", calib


def sim(graph, x):
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(to_ir_layout(x))
    return run_int(graph, xq)[graph.outputs[0]]


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_split_and_grid_is_bit_exact_in_the_simulator(n, tmp_path):
    _, _, calib = early_heavy_files(tmp_path)
    torch.manual_seed(0)
    graph = quantized_graph(EarlyHeavy().eval(), calib, (1, 3, 29, 31))
    want = sim(graph, calib[:3])
    splits = [node.output for node in graph.nodes
              if stage_nodes(graph, node.output) is not None]
    assert len(splits) >= 4
    for split in splits:
        patched = rewrite_for_patches(graph, split, n)
        assert np.array_equal(sim(patched, calib[:3]), want), (split, n)


@pytest.mark.parametrize("name", ["mobilenet_v1_vww", "mobilenet_v2"])
def test_zoo_auto_patches_cut_the_arena_bit_exactly(name):
    x = example_input(name, 8, 0).numpy()
    graph = quantized_graph(build(name, 0), x, (1, *x.shape[1:]))
    planned = plan_with_patches(graph, PatchOptions("auto"), plan_arena)
    s = planned.summary
    assert s["split"] is not None and s["mac_overhead"] <= 0.10
    assert planned.plan.arena_size < s["arena_without_patches_bytes"] / 2
    assert np.array_equal(sim(planned.graph, x[:2]), sim(graph, x[:2]))


def test_vww_patched_arena_is_under_32_kib():
    x = example_input("mobilenet_v1_vww", 4, 0).numpy()
    graph = quantized_graph(build("mobilenet_v1_vww", 0), x, (1, *x.shape[1:]))
    planned = plan_with_patches(graph, PatchOptions("auto"), plan_arena)
    assert planned.plan.arena_size == 23040 < 32 * 1024  # 24,792 before in-place rows


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="no cross toolchain")
def test_patched_project_is_bit_exact_on_host_and_qemu(tmp_path):
    path, calib_path, calib = early_heavy_files(tmp_path)
    out = tmp_path / "p"
    convert_model(path, out, ConvertOptions(calib=calib_path, target="qemu-m4",
                                            patch="add:3"))
    report = json.loads((out / "report.json").read_text())
    assert report["patches"]["split"] == "add" and report["patches"]["n"] == 3
    ops = [layer["op"] for layer in report["layers"]]
    assert ops.count("paste") == 9 and "crop" in ops
    project = Project(out)
    assert project.test(calib[:4]).bit_exact
    run = project.run_target("qemu-m4", project.quantize_input(calib[:2]))
    assert run.bit_exact
    # ... and the same outputs as the whole-tensor conversion.
    whole = tmp_path / "w"
    convert_model(path, whole, ConvertOptions(calib=calib_path, target="qemu-m4",
                                              patch="off"))
    xq = project.quantize_input(calib[:4])
    assert np.array_equal(project.simulate(xq), Project(whole).simulate(xq))
    # The patch copies of a layer share its weights in flash.
    assert project.report["weight_bytes"] == Project(whole).report["weight_bytes"]
    declared = [(p / "model_weights.h").read_text().count("extern") for p in (out, whole)]
    assert declared[0] == declared[1]


def test_sram_budget_picks_a_plan_that_fits_or_names_the_smallest(tmp_path):
    path, calib_path, _ = early_heavy_files(tmp_path)
    off = convert_model(path, tmp_path / "off", ConvertOptions(calib=calib_path, patch="off"))
    budget = off.plan.arena_size - 1
    fit = convert_model(path, tmp_path / "fit", ConvertOptions(
        calib=calib_path, sram_budget=budget, max_mac_overhead=1.0))
    assert fit.plan.arena_size <= budget
    with pytest.raises(TinyqError, match=r"--sram-budget 100 B: no plan fits; the smallest"):
        convert_model(path, tmp_path / "tiny", ConvertOptions(calib=calib_path,
                                                              sram_budget=100))
    assert not (tmp_path / "tiny").exists()


@pytest.mark.parametrize("mode, message", [
    ("sideways", "expected off, auto or LAYER:N"),
    ("nosuchlayer:2", "no layer 'nosuchlayer'"),
    ("linear:2", "does not end a spatial stage"),
    ("add:99", "do not fit"),
])
def test_bad_patch_option_names_the_problem(mode, message, tmp_path):
    path, calib_path, _ = early_heavy_files(tmp_path)
    with pytest.raises(TinyqError, match=message):
        convert_model(path, tmp_path / "o", ConvertOptions(calib=calib_path, patch=mode))
    assert not (tmp_path / "o").exists()
