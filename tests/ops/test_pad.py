"""pad: a non-zero constant pad (not foldable) runs as its own kernel; C == simulator."""

from __future__ import annotations

import torch
import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


class ConstPad(nn.Module):
    def __init__(self, pads: tuple[int, int, int, int], value: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)
        self.pads, self.value = pads, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pad(self.conv(x), self.pads, value=self.value)


@given(st.tuples(*[st.integers(0, 3)] * 4), st.sampled_from([0.0, 0.5, -1.0]),
       st.integers(0, 2**16))
def test_pad_matches_simulator(kernels, pads, value, seed):
    graph = check_op(kernels, ConstPad(pads, value), (1, 2, 4, 5), "pad", seed=seed,
                     tol_steps=0.5)
    assert [n.op for n in graph.nodes] == ["conv2d", "pad"]
