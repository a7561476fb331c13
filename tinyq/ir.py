"""The intermediate representation shared by every stage.

A `Graph` is a list of `Node`s in execution order over named `Tensor`s. Shapes are the
PyTorch shape without the batch dimension, channels last: a (1, C, H, W) tensor is
(H, W, C); (1, F) is (F,); (1, T, F) is (T, F). Arrays in the simulators are in memory
order, which is the C order of that shape. Batch is 1 at inference; the simulators add a
leading batch axis of their own.

Stages add to the IR and never reach back: the front end fills `params` (float weights),
passes rewrite nodes, quantization fills `Tensor.qparams` and `Node.qattrs` (integer
weights, multipliers), the planner fills `Graph.plan`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinyq.errors import TinyqError


@dataclass(frozen=True)
class QParams:
    """Per-tensor affine int8 quantization: real = scale * (q - zero_point)."""

    scale: float
    zero_point: int

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Float -> int8, round half up, saturating (only at the network boundary)."""
        q = np.floor(np.asarray(x, dtype=np.float64) / self.scale + 0.5) + self.zero_point
        return np.clip(q, -128, 127).astype(np.int8)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return (np.asarray(q, dtype=np.float64) - self.zero_point) * self.scale


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    qparams: QParams | None = None

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))


@dataclass
class Node:
    """One operation. `op` names a module in tinyq/ops; `source` is the PyTorch module path
    (or ATen node name) it came from, used in every error message about it."""

    name: str
    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    qattrs: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def output(self) -> str:
        return self.outputs[0]

    def where(self) -> str:
        return f"node '{self.name}' ({self.op}" + (f", from {self.source})" if self.source else ")")


@dataclass
class Graph:
    tensors: dict[str, Tensor]
    nodes: list[Node]
    inputs: list[str]
    outputs: list[str]
    # Layout facts the converter needs about the PyTorch side of the boundary.
    input_torch_shape: tuple[int, ...] = ()
    output_torch_shape: tuple[int, ...] = ()
    plan: Any = None

    def producer(self, tensor: str) -> Node | None:
        for node in self.nodes:
            if tensor in node.outputs:
                return node
        return None

    def consumers(self, tensor: str) -> list[Node]:
        return [n for n in self.nodes if tensor in n.inputs]

    def replace_uses(self, old: str, new: str) -> None:
        """Point every reader of `old` (nodes and graph outputs) at `new`."""
        for node in self.nodes:
            node.inputs = [new if t == old else t for t in node.inputs]
        self.outputs = [new if t == old else t for t in self.outputs]

    def remove_unused_tensors(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for node in self.nodes:
            used.update(node.inputs)
            used.update(node.outputs)
        self.tensors = {k: v for k, v in self.tensors.items() if k in used}


def verify(graph: Graph, stage: str) -> None:
    """Structural checks run between stages: every tensor read was written before, every
    tensor is declared, names are unique. A failure here is a tinyq bug, named by stage."""
    defined = set(graph.inputs)
    names = set()
    for node in graph.nodes:
        if node.name in names:
            raise AssertionError(f"after {stage}: duplicate node name {node.name}")
        names.add(node.name)
        for t in node.inputs:
            if t not in defined:
                raise AssertionError(f"after {stage}: {node.where()} reads undefined '{t}'")
            if t not in graph.tensors:
                raise AssertionError(f"after {stage}: tensor '{t}' is not declared")
        for t in node.outputs:
            if t in defined:
                raise AssertionError(f"after {stage}: tensor '{t}' written twice")
            if t not in graph.tensors:
                raise AssertionError(f"after {stage}: tensor '{t}' is not declared")
            defined.add(t)
    for t in graph.outputs:
        if t not in defined:
            raise AssertionError(f"after {stage}: graph output '{t}' is never written")


def require(condition: bool, message: str) -> None:
    """Raise a user-facing error when a model is outside what tinyq supports."""
    if not condition:
        raise TinyqError(message)
