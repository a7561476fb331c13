"""Tensor lifetimes of a graph: which buffers exist and from which step to which.

Alias ops (reshape) share their input's memory, so tensors are grouped under a root
buffer. The graph input lives in the caller's `in` buffer and the output in `out`, so
neither takes arena space. Node i reads its inputs and writes its output during step i:
a buffer lives from its producer's step to its last reader's step, inclusive, and two
buffers whose intervals meet may not overlap in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph
from tinyq.ops import op_of

ALIGN = 4  # bytes; every buffer offset and size is a multiple (int8 SIMD loads are 32-bit)


def align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass(frozen=True)
class Buffer:
    name: str
    size: int
    first: int
    last: int

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Roots:
    """tensor -> root buffer name, plus the two roots that live outside the arena."""

    of: dict[str, str]
    input_root: str
    output_root: str


def roots(graph: Graph) -> Roots:
    of = {graph.inputs[0]: graph.inputs[0]}
    for node in graph.nodes:
        if op_of(node).is_alias:
            of[node.output] = of[node.inputs[0]]
        else:
            of[node.output] = node.output
    return Roots(of, graph.inputs[0], of[graph.outputs[0]])


def lifetimes(graph: Graph) -> list[Buffer]:
    r = roots(graph)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for step, node in enumerate(graph.nodes):
        if op_of(node).is_alias:
            continue
        root = r.of[node.output]
        first.setdefault(root, step)
        last[root] = max(last.get(root, step), step)
        for t in node.inputs:
            last[r.of[t]] = max(last.get(r.of[t], step), step)
    external = {r.input_root, r.output_root}
    return [Buffer(name, align(graph.tensors[name].size), first[name], last[name])
            for name in first if name not in external]


def lower_bound(buffers: list[Buffer]) -> int:
    """The largest total size of buffers alive at one step: no placement does better."""
    steps = {b.first for b in buffers}
    return max((sum(b.size for b in buffers if b.first <= s <= b.last) for s in steps),
               default=0)
