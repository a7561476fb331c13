"""Fuse clamp-like activations (ReLU, ReLU6, Hardtanh, clamp) into their producer.

Matches: activation with fn relu / clamp whose input comes from an op that requantizes or
keeps its input's scale (conv2d, dwconv2d, linear, add, avgpool2d, maxpool2d) and has no
other reader. The producer's `act` interval becomes the intersection with the clamp, so
the kernel's act_min / act_max do the work and calibration sees the clamped output.
"""

from __future__ import annotations

from tinyq.ir import Graph
from tinyq.ops.activation import clamp_bounds

FUSES_INTO = ("conv2d", "dwconv2d", "linear", "add", "avgpool2d", "maxpool2d")


def fuse_activation(graph: Graph) -> Graph:
    for act in [n for n in graph.nodes if n.op == "activation"]:
        bounds = clamp_bounds(act)
        prev = graph.producer(act.inputs[0])
        if (bounds is None or prev is None or prev.op not in FUSES_INTO
                or len(graph.consumers(prev.output)) != 1 or prev.output in graph.outputs):
            continue
        old = prev.attrs.get("act") or (float("-inf"), float("inf"))
        prev.attrs["act"] = (max(old[0], bounds[0]), min(old[1], bounds[1]))
        graph.replace_uses(act.output, prev.output)
        graph.nodes.remove(act)
    graph.remove_unused_tensors()
    return graph
