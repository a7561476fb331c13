"""add: two tensors with different scales and zero points, fused ReLU, C == simulator."""

from __future__ import annotations

import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


class Residual(nn.Module):
    def __init__(self, c: int, relu: bool) -> None:
        super().__init__()
        self.a = nn.Conv2d(c, c, 1)
        self.b = nn.Conv2d(c, c, 3, padding=1)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.a(x) + self.b(x)
        return torch.relu(y) if self.relu else y


@given(st.integers(1, 7), st.booleans(), st.integers(0, 2**16))
def test_add_matches_simulator(kernels, c, relu, seed):
    graph = check_op(kernels, Residual(c, relu), (1, c, 5, 4), "add", seed=seed)
    add = next(n for n in graph.nodes if n.op == "add")
    assert add.attrs["act"] == ((0.0, float("inf")) if relu else None)


def test_add_of_input_and_itself_scaled(kernels):
    class Skip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.conv(x)

    check_op(kernels, Skip(), (1, 4, 6, 6), "add", input_scale=4.0)
