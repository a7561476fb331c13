"""State shared by the op lowerings while an ExportedProgram becomes an ir.Graph.

Takes ATen FX nodes (after torch.export + core-ATen decomposition), gives IR tensors with
channels-last shapes. Relies on batch 1: every activation's first dimension is the batch.
A torch rank-4 tensor (1, C, H, W) becomes IR (H, W, C); any other (1, *rest) becomes rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, Tensor


def ir_shape(torch_shape: tuple[int, ...], where: str) -> tuple[int, ...]:
    if len(torch_shape) == 0 or torch_shape[0] != 1:
        raise TinyqError(f"{where}: tensor of shape {tuple(torch_shape)} has no batch "
                         "dimension of 1; tinyq runs batch 1 (export the model with a "
                         "batch-1 example input)")
    if len(torch_shape) == 4:
        _, c, h, w = torch_shape
        return (h, w, c)
    if len(torch_shape) > 4:
        raise TinyqError(f"{where}: tensors of rank {len(torch_shape)} are not supported")
    return tuple(torch_shape[1:]) or (1,)


def ir_axis(dim: int, torch_rank: int, where: str) -> int:
    """A torch dimension index -> the IR axis holding it (channels last for rank 4)."""
    if dim < 0:
        dim += torch_rank
    if dim == 0:
        raise TinyqError(f"{where}: operating along the batch dimension is not supported")
    if torch_rank == 4:
        return {1: 2, 2: 0, 3: 1}[dim]
    return dim - 1


class LowerContext:
    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.params = params  # placeholder name -> float array (weights, buffers)
        self.tensors: dict[str, Tensor] = {}
        self.nodes: list[Node] = []
        self.value_of: dict[str, str] = {}  # FX node name -> IR tensor name
        self.torch_rank: dict[str, int] = {}  # IR tensor name -> rank on the torch side
        self.inputs: list[str] = []

    # --- reading the FX graph -------------------------------------------------------
    @staticmethod
    def source(fx_node: Any) -> str:
        stack = fx_node.meta.get("nn_module_stack") or {}
        if stack:
            path, cls = list(stack.values())[-1]
            cls_name = cls.__name__ if isinstance(cls, type) else str(cls).rsplit(".", 1)[-1]
            return f"{path or '<top>'} ({cls_name})"
        return f"ATen node '{fx_node.name}'"

    def where(self, fx_node: Any) -> str:
        return f"{fx_node.target} at {self.source(fx_node)}"

    def tensor(self, arg: Any) -> str:
        """The IR tensor an FX argument refers to (an activation, not a weight)."""
        name = getattr(arg, "name", None)
        if name in self.value_of:
            return self.value_of[name]
        raise TinyqError(f"expected an activation tensor, got {arg!r}")

    def is_tensor(self, arg: Any) -> bool:
        return getattr(arg, "name", None) in self.value_of

    def const(self, arg: Any, fx_node: Any) -> np.ndarray | None:
        """A weight / buffer argument as a float64 array (None stays None)."""
        if arg is None:
            return None
        name = getattr(arg, "name", None)
        if name in self.params:
            return self.params[name]
        raise TinyqError(f"{self.where(fx_node)}: argument {arg} must be a parameter or "
                         "buffer of the model, not computed at run time")

    def shape_of(self, fx_node: Any) -> tuple[int, ...]:
        val = fx_node.meta.get("val")
        if val is None or not hasattr(val, "shape"):
            raise TinyqError(f"{self.where(fx_node)}: output shape unknown")
        try:
            return tuple(int(d) for d in val.shape)
        except TypeError:
            raise TinyqError(f"{self.where(fx_node)}: dynamic shape {tuple(val.shape)}; "
                             "tinyq needs static shapes") from None

    # --- building the IR ------------------------------------------------------------
    def add_input(self, fx_node: Any) -> None:
        shape = self.shape_of(fx_node)
        name = fx_node.name
        self.tensors[name] = Tensor(name, ir_shape(shape, f"model input '{name}'"))
        self.torch_rank[name] = len(shape)
        self.value_of[name] = name
        self.inputs.append(name)

    def add_node(self, fx_node: Any, op: str, inputs: list[str], attrs: dict[str, Any],
                 params: dict[str, np.ndarray] | None = None,
                 torch_shape: tuple[int, ...] | None = None, suffix: str = "") -> Node:
        """Append one IR node computing the value of `fx_node` (the last node added for
        an FX node defines its value; `suffix` names intermediate ones)."""
        shape = torch_shape if torch_shape is not None else self.shape_of(fx_node)
        out = fx_node.name + suffix
        self.tensors[out] = Tensor(out, ir_shape(shape, self.where(fx_node)))
        self.torch_rank[out] = len(shape)
        node = Node(name=out, op=op, inputs=inputs, outputs=[out], attrs=attrs,
                    params=params or {}, source=self.source(fx_node))
        self.nodes.append(node)
        self.value_of[fx_node.name] = out
        return node

    def alias(self, fx_node: Any, tensor: str) -> None:
        """`fx_node` computes nothing new (identity, dropout in eval, clone)."""
        self.value_of[fx_node.name] = tensor

    def rank(self, tensor: str) -> int:
        return self.torch_rank[tensor]

    def graph(self, outputs: list[str], input_shape: tuple[int, ...],
              output_shape: tuple[int, ...]) -> Graph:
        return Graph(tensors=self.tensors, nodes=self.nodes, inputs=self.inputs,
                     outputs=outputs, input_torch_shape=input_shape,
                     output_torch_shape=output_shape)
