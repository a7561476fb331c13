"""Lowering and passes without a C compiler: what IR a model becomes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from tinyq.errors import TinyqError
from tinyq.frontend.capture import capture
from tinyq.frontend.to_ir import to_ir
from tinyq.ir_io import load_graph, save_graph
from tinyq.passes import PASSES
from tinyq.pipeline import quantized_graph


def lowered(model: nn.Module, shape: tuple[int, ...], passes: bool = True):
    graph = to_ir(capture(model.eval(), shape))
    if passes:
        for rewrite in PASSES:
            graph = rewrite(graph)
    return graph


def test_channels_last_shapes_and_depthwise_choice():
    model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.Conv2d(6, 12, 3, groups=6),
                          nn.Conv2d(12, 12, 1, groups=3))
    g = lowered(model, (1, 3, 10, 8))
    assert [n.op for n in g.nodes] == ["conv2d", "dwconv2d", "conv2d"]
    assert g.tensors[g.nodes[0].output].shape == (8, 6, 6)
    assert g.tensors[g.outputs[0]].shape == (6, 4, 12)


def test_dropout_identity_and_batchnorm_disappear():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5),
                          nn.Identity(), nn.ReLU6(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    g = lowered(model, (1, 3, 6, 6))
    assert [n.op for n in g.nodes] == ["conv2d", "reshape", "linear"]
    assert g.nodes[0].attrs["act"] == (0.0, 6.0)


def test_standalone_batchnorm_becomes_depthwise_1x1():
    g = lowered(nn.Sequential(nn.BatchNorm2d(3)), (1, 3, 4, 4))
    assert [n.op for n in g.nodes] == ["dwconv2d"]
    assert g.nodes[0].attrs["kernel"] == (1, 1)


def test_unsupported_op_names_op_and_module():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(1, 2, 1), nn.PixelShuffle(2))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body[0](x) * x

    with pytest.raises(TinyqError, match=r"unsupported op aten.mul.Tensor at <top>"):
        lowered(Net(), (1, 1, 4, 4), passes=False)
    shuffle = nn.Sequential(nn.Conv2d(1, 4, 1), nn.PixelShuffle(2))
    with pytest.raises(TinyqError, match=r"at 1 \(PixelShuffle\)"):
        lowered(shuffle, (1, 1, 4, 4), passes=False)


def test_graph_round_trips_through_files(tmp_path):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 4),
                          nn.Softmax(-1))
    calib = rng.standard_normal((8, 2, 4, 4)).astype(np.float32)
    graph = quantized_graph(model.eval(), calib, (1, 2, 4, 4))
    save_graph(graph, tmp_path)
    back = load_graph(tmp_path)
    assert [n.op for n in back.nodes] == [n.op for n in graph.nodes]
    for a, b in zip(graph.nodes, back.nodes):
        for key, value in a.qattrs.items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, b.qattrs[key]) and value.dtype == b.qattrs[key].dtype
            else:
                assert value == b.qattrs[key] or list(value) == list(b.qattrs[key])
