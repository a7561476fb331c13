"""Patch planning: receptive fields by hand, and the planner's choices on the zoo."""

from __future__ import annotations

import numpy as np
import torch.nn as nn

from tinyq.pipeline import quantized_graph
from tinyq.plan.patch import choose_patch_plan, evaluate, patch_regions, stage_nodes
from tinyq.zoo import ZOO, build


def graph_of(model: nn.Module, shape: tuple[int, ...]):
    calib = np.random.default_rng(0).standard_normal((4, *shape[1:])).astype(np.float32)
    return quantized_graph(model.eval(), calib, shape)


def test_receptive_field_of_two_convs():
    g = graph_of(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1),
                               nn.Conv2d(2, 2, 3, stride=2, padding=1)), (1, 1, 16, 16))
    split = g.nodes[1].output  # 16 x 16 after two 3x3 convolutions
    stage = stage_nodes(g, split)
    regions = patch_regions(g, stage, (0, 8, 8, 16))  # top-right quarter
    assert regions[split] == (0, 8, 8, 16)
    assert regions[g.nodes[0].output] == (0, 9, 7, 16)   # one row / column of halo
    assert regions[g.inputs[0]] == (0, 10, 6, 16)         # two, clipped at the border


def test_planner_cuts_peak_sram_within_the_mac_budget():
    name = "mobilenet_v1_vww"
    g = graph_of(build(name), ZOO[name].input_shape)
    plan = choose_patch_plan(g, max_mac_overhead=0.10)
    assert plan is not None
    assert plan.mac_overhead <= 0.10
    assert plan.peak_bytes < 0.5 * plan.base_peak_bytes
    assert choose_patch_plan(g, sram_budget=10) is None  # nothing fits 10 bytes
    assert evaluate(g, g.outputs[0], 2, plan.base_peak_bytes, plan.base_macs) is None


def test_a_model_without_macs_converts(tmp_path):
    """Pooling only: no MACs, so patch plans have no MAC overhead (not a division by 0)."""
    import torch

    from tinyq.pipeline import ConvertOptions, convert_model
    from tinyq.project import Project

    x = np.random.default_rng(0).standard_normal((8, 8, 16, 16)).astype(np.float32)
    model = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2)).eval()
    torch.export.save(torch.export.export(model, (torch.as_tensor(x[:1]),)), tmp_path / "m.pt2")
    np.save(tmp_path / "calib.npy", x)
    result = convert_model(tmp_path / "m.pt2", tmp_path / "out",
                           ConvertOptions(calib=tmp_path / "calib.npy"))
    project = Project(result.out_dir)
    assert project.report["patches"]["whole_tensor_macs"] == 0
    assert project.test(x[:4]).bit_exact
