"""softmax: last axis of (N, F) and (N, T, F); exact vs its integer reference, within two
output steps (1/256) of the float softmax."""

from __future__ import annotations

import torch.nn as nn
from hypothesis import given
from hypothesis import strategies as st

from tests.ops.harness import check_op


@given(st.integers(1, 3), st.integers(2, 40), st.sampled_from([0.5, 2.0, 8.0]),
       st.integers(0, 2**16))
def test_softmax_matches_simulator(kernels, rows, cols, scale, seed):
    model = nn.Sequential(nn.Linear(cols, cols), nn.Softmax(dim=-1))
    shape = (1, cols) if rows == 1 else (1, rows, cols)
    check_op(kernels, model, shape, "softmax", seed=seed, tol_steps=2.0, input_scale=scale)
