"""maxpool2d: padding never wins, dilation, ceil_mode, fused ReLU; exact vs float."""

from __future__ import annotations

import torch.nn as nn
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), st.booleans(), st.integers(0, 2**16))
def test_maxpool2d_matches_simulator(kernels, k, stride, pad, dil, ceil, relu, seed):
    assume(pad <= k // 2)
    size = dil * (k - 1) + 1 + 4
    layers = [nn.Conv2d(3, 4, 1), nn.MaxPool2d(k, stride, pad, dil, ceil_mode=ceil)]
    if relu:
        layers.append(nn.ReLU())
    check_op(kernels, nn.Sequential(*layers), (1, 3, size, size + 2), "maxpool2d",
             seed=seed, tol_steps=0.0)
