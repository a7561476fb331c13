"""Argument parsing shared by the pooling lowerings (ATen passes ints or 1- / 2-lists)."""

from __future__ import annotations

from typing import Any

from tinyq.ir import Graph, Node


def pair(value: Any, default: tuple[int, int] | None = None) -> tuple[int, int]:
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        if default is None:
            raise ValueError("missing pooling argument")
        return default
    if isinstance(value, int):
        return value, value
    if len(value) == 1:
        return int(value[0]), int(value[0])
    return int(value[0]), int(value[1])


def arg(fx_node: Any, index: int, name: str, default: Any) -> Any:
    if len(fx_node.args) > index:
        return fx_node.args[index]
    return fx_node.kwargs.get(name, default)


def pool_geometry(node: Node, graph: Graph) -> dict[str, int]:
    """The shape, window and stride fields both pooling params structs share."""
    a = node.attrs
    ih, iw, c = graph.tensors[node.inputs[0]].shape
    oh, ow, _ = graph.tensors[node.output].shape
    return {"in_h": ih, "in_w": iw, "c": c, "out_h": oh, "out_w": ow,
            "k_h": a["kernel"][0], "k_w": a["kernel"][1],
            "stride_h": a["stride"][0], "stride_w": a["stride"][1]}
