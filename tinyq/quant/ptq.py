"""Post-training quantization: calibrated ranges -> integer parameters for every node.

Walks the graph in execution order. The input tensor takes its observed QParams; each
node's output takes what its op decides (observed range, or the input's for ops that
cannot change it, or fixed for softmax), then the op computes its integer attributes
(weights, folded bias, dyadic multipliers, tables) from the input and output QParams.
"""

from __future__ import annotations

from tinyq.ir import Graph, QParams
from tinyq.ops import op_of


def quantize(graph: Graph, ranges: dict[str, QParams]) -> Graph:
    graph.tensors[graph.inputs[0]].qparams = ranges[graph.inputs[0]]
    for node in graph.nodes:
        in_q = [graph.tensors[t].qparams for t in node.inputs]
        op = op_of(node)
        out_q = op.output_qparams(node, in_q, ranges.get(node.output))
        node.qattrs = op.quantize(node, in_q, out_q)
        graph.tensors[node.output].qparams = out_q
    return graph
