"""Drop nodes whose outputs nobody reads (branches the output does not depend on)."""

from __future__ import annotations

from tinyq.ir import Graph


def remove_dead(graph: Graph) -> Graph:
    live = set(graph.outputs)
    kept = []
    for node in reversed(graph.nodes):
        if any(t in live for t in node.outputs):
            kept.append(node)
            live.update(node.inputs)
    graph.nodes = kept[::-1]
    graph.remove_unused_tensors()
    return graph
