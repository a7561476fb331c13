"""Quantize a float graph once per weight bit width, then compose any per-layer mix.

Takes the float graph after the passes, its calibrated ranges and the calibration batch;
gives `BitVariants`: the graph quantized all-int8 and all-int4, from which `compose(bits)`
builds the graph of any {layer: 4 | 8} choice without quantizing again.

Why this is exact: ptq.quantize gives each node parameters that depend only on the node,
the activation ranges (calibrated on the float graph, so the same for every bit choice)
and the node's own WeightQuant. The int4 bias correction reads the float calibration
mean of the layer's input, also independent of the other layers' widths. So node by
node, the mix equals what quantize(graph, ranges, bits) would produce; the test suite
checks that bit for bit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from tinyq.ir import Graph, QParams
from tinyq.ops import op_of
from tinyq.quant.calibrate import channel_means
from tinyq.quant.ptq import quantize

WIDTHS = (4, 8)


@dataclass
class BitVariants:
    float_graph: Graph  # after the passes, unquantized (float params only)
    by_bits: dict[int, Graph]  # every weighted layer at that width

    @property
    def layers(self) -> list[str]:
        """The weighted nodes, in execution order."""
        return [n.name for n in self.float_graph.nodes if op_of(n).weighted]

    def compose(self, bits: dict[str, int]) -> Graph:
        """A fresh quantized graph with each weighted layer at bits[layer] (default 8)."""
        graph = copy.deepcopy(self.by_bits[8])
        int4 = {n.name: n for n in self.by_bits[4].nodes}
        for node in graph.nodes:
            if bits.get(node.name, 8) == 4:
                node.qattrs = copy.deepcopy(int4[node.name].qattrs)
        return graph

    def weight_bytes(self, layer: str, bits: int) -> int:
        """Flash bytes the layer's kernel call emits at that width (packed weights, bias,
        multipliers, shifts): exactly what the generated project stores."""
        graph = self.by_bits[bits]
        node = next(n for n in graph.nodes if n.name == layer)
        return op_of(node).weight_bytes(node, graph)

    def fixed_bytes(self) -> int:
        """Flash constants of the layers without weights (tables, pooling multipliers):
        the same whatever the weight widths. Aliases (reshape) emit nothing."""
        graph = self.by_bits[8]
        return sum(op_of(n).weight_bytes(n, graph) for n in graph.nodes
                   if not (op_of(n).weighted or op_of(n).is_alias))


def quantize_variants(float_graph: Graph, ranges: dict[str, QParams], calib: np.ndarray,
                      int4_clip: str = "mse", bias_correction: bool = True) -> BitVariants:
    """Quantize deep copies of `float_graph` all-int8 and all-int4 (same ranges, same
    bias-correction means as any mix of the two would get)."""
    weighted = [n.name for n in float_graph.nodes if op_of(n).weighted]
    inputs = {n.inputs[0] for n in float_graph.nodes if n.name in weighted}
    means = channel_means(float_graph, calib, inputs) if bias_correction else {}
    by_bits = {}
    for width in WIDTHS:
        graph = copy.deepcopy(float_graph)
        by_bits[width] = quantize(graph, ranges, {name: width for name in weighted},
                                  int4_clip, means)
    return BitVariants(float_graph, by_bits)
