"""Fold inference-mode BatchNorm into the conv / depthwise conv / linear before it.

Matches: batchnorm whose input is produced by conv2d, dwconv2d or linear with no other
reader and no fused activation yet. With y = a * z + b per channel and z = W x + c:
W'[o] = a[o] * W[o], c'[o] = a[o] * c[o] + b[o]. A BatchNorm with no such producer
becomes a 1x1 depthwise convolution (the same per-channel affine map) on feature maps;
on anything else it is an error naming the layer.
"""

from __future__ import annotations

import numpy as np

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node

FOLDABLE = ("conv2d", "dwconv2d", "linear")


def fold_batchnorm(graph: Graph) -> Graph:
    for bn in [n for n in graph.nodes if n.op == "batchnorm"]:
        prev = graph.producer(bn.inputs[0])
        if (prev is not None and prev.op in FOLDABLE and prev.attrs.get("act") is None
                and len(graph.consumers(prev.output)) == 1
                and prev.output not in graph.outputs):
            fold_into(prev, bn)
            graph.replace_uses(bn.output, prev.output)
            graph.nodes.remove(bn)
        else:
            as_depthwise(bn, graph)
    graph.remove_unused_tensors()
    return graph


def fold_into(layer: Node, bn: Node) -> None:
    a, b = bn.params["scale"], bn.params["shift"]
    w = layer.params["weight"]
    layer.params["weight"] = w * a.reshape((-1,) + (1,) * (w.ndim - 1))
    layer.params["bias"] = layer.params["bias"] * a + b


def as_depthwise(bn: Node, graph: Graph) -> None:
    shape = graph.tensors[bn.inputs[0]].shape
    if len(shape) != 3:
        raise TinyqError(f"{bn.where()}: a BatchNorm that does not follow a conv or linear "
                         "layer is supported on feature maps only")
    c = shape[2]
    bn.op = "dwconv2d"
    bn.attrs = {"kernel": (1, 1), "stride": (1, 1), "dilation": (1, 1), "pads": (0, 0, 0, 0),
                "groups": c, "act": None}
    bn.params = {"weight": bn.params["scale"].reshape(c, 1, 1, 1),
                 "bias": np.asarray(bn.params["shift"], dtype=np.float64)}
