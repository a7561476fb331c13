"""concat: channel and feature axes, inputs with different scales, C == simulator."""

from __future__ import annotations

import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


class Branches(nn.Module):
    def __init__(self, c: int, widths: list[int], dim: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(c, w, 1) for w in widths)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(x) for conv in self.convs], self.dim)


@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.sampled_from([1, 2, 3]),
       st.integers(0, 2**16))
def test_concat_matches_simulator(kernels, widths, dim, seed):
    if dim != 1:
        widths = [widths[0]] * len(widths)
    check_op(kernels, Branches(3, widths, dim), (1, 3, 4, 5), "concat", seed=seed)


def test_concat_of_features(kernels):
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(6, 3), nn.Linear(6, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.a(x), self.b(x)], 1)

    check_op(kernels, Two(), (1, 6), "concat")
