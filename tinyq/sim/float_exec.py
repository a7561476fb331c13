"""Float execution of the IR (before quantization), batched, channels last.

Used for calibration (observers see every tensor the integer graph will have, after
folding and fusion) and to check that the IR still computes what the PyTorch model does.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from tinyq.ir import Graph
from tinyq.ops import op_of

Observe = Callable[[str, torch.Tensor], None]


def run_float(graph: Graph, x: np.ndarray, observe: Observe | None = None) -> np.ndarray:
    """x: (N, *input shape) float in IR layout -> the output, (N, *output shape)."""
    values: dict[str, torch.Tensor] = {graph.inputs[0]: torch.as_tensor(x, dtype=torch.float32)}
    if observe:
        observe(graph.inputs[0], values[graph.inputs[0]])
    return run_from(graph, values, 0, observe).numpy()


def run_from(graph: Graph, values: dict[str, torch.Tensor], start: int,
             observe: Observe | None = None) -> torch.Tensor:
    """Run nodes start.. given `values` (every tensor they read that an earlier node
    wrote); gives the graph output. `values` is consumed: dead tensors are dropped."""
    remaining = last_uses(graph)
    with torch.no_grad():
        for i, node in enumerate(graph.nodes[start:], start):
            out = op_of(node).float_ref(node, [values[t] for t in node.inputs], graph)
            values[node.output] = out
            if observe:
                observe(node.output, out)
            for t in remaining.get(i, ()):
                values.pop(t, None)
    return values[graph.outputs[0]]


def last_uses(graph: Graph) -> dict[int, list[str]]:
    """Step -> tensors no later step reads (freed to bound memory on large batches)."""
    last: dict[str, int] = {}
    for i, node in enumerate(graph.nodes):
        for t in node.inputs:
            last[t] = i
    keep = set(graph.outputs)
    out: dict[int, list[str]] = {}
    for t, i in last.items():
        if t not in keep:
            out.setdefault(i, []).append(t)
    return out
