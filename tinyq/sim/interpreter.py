"""The golden model: the integer graph run in numpy, op for op as the C kernels compute.

Takes a quantized ir.Graph and an int8 batch (N, *input shape) in IR layout; gives the
int8 output, or every tensor when asked (to name the first mismatching one).
"""

from __future__ import annotations

import numpy as np

from tinyq.ir import Graph
from tinyq.ops import op_of
from tinyq.sim.float_exec import last_uses


def run_int(graph: Graph, xq: np.ndarray, keep_all: bool = False) -> dict[str, np.ndarray]:
    """Returns {tensor name: int8 array} with the output, or with every tensor if
    keep_all (in execution order)."""
    if xq.dtype != np.int8:
        raise TypeError(f"integer simulator input must be int8, got {xq.dtype}")
    values: dict[str, np.ndarray] = {graph.inputs[0]: xq}
    free = {} if keep_all else last_uses(graph)
    for i, node in enumerate(graph.nodes):
        out = op_of(node).simulate(node, [values[t] for t in node.inputs], graph)
        if out.dtype != np.int8:
            raise AssertionError(f"{node.where()} simulated to {out.dtype}, not int8")
        values[node.output] = out
        for t in free.get(i, ()):
            values.pop(t, None)
    if keep_all:
        return values
    return {graph.outputs[0]: values[graph.outputs[0]]}


def run_int_output(graph: Graph, xq: np.ndarray) -> np.ndarray:
    return run_int(graph, xq)[graph.outputs[0]]
