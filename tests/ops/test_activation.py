"""activation: every lookup-table function, and clamps that cannot fuse."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op

FUNCTIONS = [nn.Sigmoid(), nn.Tanh(), nn.Hardswish(), nn.Hardsigmoid(), nn.SiLU(), nn.GELU(),
             nn.GELU(approximate="tanh")]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: repr(f))
@given(scale=st.sampled_from([0.1, 1.0, 5.0]), seed=st.integers(0, 2**16))
def test_lut_matches_simulator(kernels, fn, scale, seed):
    model = nn.Sequential(nn.Conv2d(3, 5, 1), fn)
    check_op(kernels, model, (1, 3, 4, 4), "activation", seed=seed, tol_steps=0.5,
             input_scale=scale)


class AfterConcat(nn.Module):
    """A ReLU6 after a concatenation has no requantizing producer: it stays a table."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(2, 3, 1)
        self.b = nn.Conv2d(2, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.relu6(torch.cat([self.a(x), self.b(x)], 1)).clamp(max=4.0)


def test_unfusable_clamps_become_tables(kernels):
    graph = check_op(kernels, AfterConcat(), (1, 2, 3, 3), "activation", tol_steps=0.5)
    assert [n.op for n in graph.nodes] == ["conv2d", "conv2d", "concat", "activation",
                                           "activation"]
