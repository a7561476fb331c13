"""linear: rows, bias-free, folded BatchNorm1d, flatten of a feature map (weight columns
permuted offline), C == simulator."""

from __future__ import annotations

import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@given(st.integers(1, 70), st.integers(1, 40), st.booleans(), st.integers(0, 2**16))
def test_linear_matches_simulator(kernels, n_in, n_out, bias, seed):
    check_op(kernels, nn.Linear(n_in, n_out, bias=bias), (1, n_in), "linear", seed=seed)


@given(st.integers(1, 4), st.integers(1, 9), st.integers(0, 2**16))
def test_linear_over_rows(kernels, rows, n_in, seed):
    check_op(kernels, nn.Linear(n_in, 5), (1, rows, n_in), "linear", seed=seed)


def test_batchnorm1d_folds_into_linear(kernels):
    model = nn.Sequential(nn.Linear(12, 6), nn.BatchNorm1d(6), nn.ReLU())
    model[1].running_mean.uniform_(-1, 1)
    model[1].running_var.uniform_(0.5, 2)
    graph = check_op(kernels, model, (1, 12), "linear")
    assert [n.op for n in graph.nodes] == ["linear"]


def test_flatten_then_linear_permutes_weights(kernels):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 3 * 5, 7))
    graph = check_op(kernels, model, (1, 3, 5, 7), "linear")
    assert [n.op for n in graph.nodes] == ["conv2d", "reshape", "linear"]
