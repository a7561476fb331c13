"""paste (made by patch-based execution): C writes exactly the patch's window of the
buffer it shares with its first input; C == simulator."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ops.test_crop import patched_values
from tinyq.ops import op_of


@settings(max_examples=4, deadline=None)
@given(st.integers(6, 11), st.integers(6, 11), st.integers(2, 3), st.integers(0, 2**16))
def test_paste_matches_simulator(kernels, h, w, n, seed):
    graph, values = patched_values((h, w), 3, n, seed)
    pastes = [node for node in graph.nodes if node.op == "paste"]
    assert len(pastes) == n * n and len(pastes[0].inputs) == 1
    for node in pastes:
        want = values[node.output]
        for i in range(want.shape[0]):
            ins = [np.ascontiguousarray(values[t][i]) for t in node.inputs]
            # The kernel writes into the buffer of input 0: start from its contents.
            got = ins[0].copy() if len(ins) == 2 else np.zeros_like(want[i])
            for call in op_of(node).emit(node, graph):
                kernels.call(call, ins, got)
            assert np.array_equal(got, want[i])
