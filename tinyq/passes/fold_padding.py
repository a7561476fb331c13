"""Fold a zero `pad` (ZeroPad2d) into the convolution that reads it.

Matches: pad with value 0 whose only reader is conv2d / dwconv2d. The convolution's own
(top, left, bottom, right) padding grows by the pad's; its kernels already pad with the
input zero point (real 0), so the copy disappears and asymmetric padding costs nothing.
"""

from __future__ import annotations

from tinyq.ir import Graph


def fold_padding(graph: Graph) -> Graph:
    for pad in [n for n in graph.nodes if n.op == "pad"]:
        readers = graph.consumers(pad.output)
        if (pad.attrs["value"] != 0.0 or len(readers) != 1 or pad.output in graph.outputs
                or readers[0].op not in ("conv2d", "dwconv2d")):
            continue
        conv = readers[0]
        conv.attrs["pads"] = tuple(a + b for a, b in zip(conv.attrs["pads"],
                                                         pad.attrs["pads"]))
        graph.replace_uses(pad.output, pad.inputs[0])
        graph.nodes.remove(pad)
    graph.remove_unused_tensors()
    return graph
