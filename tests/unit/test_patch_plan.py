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
