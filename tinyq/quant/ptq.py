"""Post-training quantization: calibrated ranges -> integer parameters for every node.

Walks the graph in execution order. The input tensor takes its observed QParams; each
node's output takes what its op decides (observed range, or the input's for ops that
cannot change it, or fixed for softmax), then the op computes its integer attributes
(weights, folded bias, dyadic multipliers, tables) from the input and output QParams.
A weighted op (conv, depthwise, linear) also gets its layer's WeightQuant: the bit width
from `weight_bits` ({node name: 4 or 8}, absent means 8; quant/weight_config.py builds
it from the user's options, a mixed-precision search may build it too), the int4 clip
rule, and the calibration mean of its input for bias correction when one was measured.
A rounding optimiser (quant/adaround.py), if given, sees each weighted node just before
it is quantized, after every node before it, and may set WeightQuant.rounding.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from tinyq.ir import Graph, Node, QParams
from tinyq.ops import op_of
from tinyq.quant.weights import WeightQuant

# (node, its input QParams, its output QParams, the default WeightQuant) -> WeightQuant
ChooseRounding = Callable[[Node, list[QParams], QParams, WeightQuant], WeightQuant]


def quantize(graph: Graph, ranges: dict[str, QParams],
             weight_bits: dict[str, int] | None = None, int4_clip: str = "mse",
             input_means: dict[str, np.ndarray] | None = None,
             choose_rounding: ChooseRounding | None = None) -> Graph:
    weight_bits = weight_bits or {}
    input_means = input_means or {}
    graph.tensors[graph.inputs[0]].qparams = ranges[graph.inputs[0]]
    for node in graph.nodes:
        in_q = [graph.tensors[t].qparams for t in node.inputs]
        op = op_of(node)
        out_q = op.output_qparams(node, in_q, ranges.get(node.output))
        if op.weighted:
            how = layer_weight_quant(node, weight_bits, int4_clip, input_means)
            if choose_rounding is not None:
                how = choose_rounding(node, in_q, out_q, how)
            node.qattrs = op.quantize(node, in_q, out_q, how)
        else:
            node.qattrs = op.quantize(node, in_q, out_q)
        graph.tensors[node.output].qparams = out_q
    return graph


def layer_weight_quant(node: Node, weight_bits: dict[str, int], int4_clip: str,
                       input_means: dict[str, np.ndarray]) -> WeightQuant:
    bits = weight_bits.get(node.name, 8)
    if bits not in (4, 8):
        raise AssertionError(f"{node.where()}: weight bits {bits} (only 4 or 8)")
    return WeightQuant(bits=bits, clip=int4_clip, in_mean=input_means.get(node.inputs[0]))
