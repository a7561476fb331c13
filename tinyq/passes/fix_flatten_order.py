"""Reconcile flattening a channels-last map with PyTorch's channels-first order.

Matches: reshape nodes with `hwc_from = (H, W, C)` (a feature map flattened where H * W > 1).
Memory holds feature (h, w, c) at index (h * W + w) * C + c; PyTorch at c * H * W + h * W + w.
  - Every reader a Linear (possibly through other such reshapes): permute the Linear's
    weight columns offline, W'[:, hwc] = W[:, chw]. No code runs on the device.
  - Otherwise: insert an explicit hwc_to_chw reorder before the reshape.
"""

from __future__ import annotations

from tinyq.ir import Graph, Node, Tensor


def fix_flatten_order(graph: Graph) -> Graph:
    for node in [n for n in graph.nodes if n.op == "reshape" and n.attrs.get("hwc_from")]:
        h, w, c = node.attrs["hwc_from"]
        readers = graph.consumers(node.output)
        is_out = node.output in graph.outputs
        if readers and not is_out and all(r.op == "linear" and
                                          r.params["weight"].shape[1] == h * w * c
                                          for r in readers):
            for lin in readers:
                wt = lin.params["weight"]
                lin.params["weight"] = wt.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(
                    wt.shape[0], -1)
        else:
            insert_reorder(graph, node, h * w * c)
        node.attrs["hwc_from"] = None
    return graph


def insert_reorder(graph: Graph, reshape: Node, size: int) -> None:
    name = reshape.name + "_chw"
    graph.tensors[name] = Tensor(name, (size,))
    reorder = Node(name=name, op="hwc_to_chw", inputs=[reshape.inputs[0]], outputs=[name],
                   source=reshape.source)
    graph.nodes.insert(graph.nodes.index(reshape), reorder)
    reshape.inputs = [name]
