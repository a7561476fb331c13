"""avgpool2d: both count_include_pad settings, ceil_mode, divisor_override, adaptive and
mean over H, W; the divisor table against PyTorch; C == simulator."""

from __future__ import annotations

import torch
import torch.nn as nn
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.booleans(), st.booleans(),
       st.sampled_from([None, 3]), st.integers(0, 2**16))
def test_avgpool2d_matches_simulator(kernels, k, stride, pad, ceil, include_pad, override,
                                     seed):
    assume(pad <= k // 2)
    pool = nn.AvgPool2d(k, stride, pad, ceil_mode=ceil, count_include_pad=include_pad,
                        divisor_override=override)
    check_op(kernels, nn.Sequential(nn.Conv2d(2, 3, 1), pool), (1, 2, 7, 6), "avgpool2d",
             seed=seed)


class Mean(nn.Module):
    def __init__(self, keepdim: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.keepdim = keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean(dim=(2, 3), keepdim=self.keepdim)


def test_global_pools(kernels):
    check_op(kernels, Mean(True), (1, 3, 7, 5), "avgpool2d")
    graph = check_op(kernels, Mean(False), (1, 3, 7, 5), "avgpool2d")
    assert [n.op for n in graph.nodes] == ["conv2d", "avgpool2d", "reshape"]
    check_op(kernels, nn.Sequential(nn.Conv2d(3, 6, 1), nn.AdaptiveAvgPool2d(1)),
             (1, 3, 25, 5), "avgpool2d")
    check_op(kernels, nn.Sequential(nn.Conv2d(3, 6, 1), nn.AdaptiveAvgPool2d((2, 3))),
             (1, 3, 8, 9), "avgpool2d")
