"""Tensor lifetimes of a graph: which buffers exist and from which step to which.

Alias ops (reshape) share their input's memory, so tensors are grouped under a root
buffer. With `inplace`, an elementwise op whose kernel may overwrite an input
(OpDef.inplace_inputs) writes its output into that input's buffer when the input is read
by nothing later; the output then joins the input's root too. The graph input lives in the
caller's `in` buffer (read-only, never reused) and the output in `out`, so neither takes
arena space. Node i reads its inputs and writes its output during step i: a buffer lives
from its producer's step to its last reader's step, inclusive, and two buffers whose
intervals meet may not overlap in memory.
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
    """tensor -> root buffer name, plus the two roots that live outside the arena, and
    the nodes that run in place (node name -> the input index they overwrite)."""

    of: dict[str, str]
    input_root: str
    output_root: str
    inplace: dict[str, int]


def readers(graph: Graph) -> dict[str, int]:
    """tensor -> the last step that reads it (-1 if none)."""
    last: dict[str, int] = {}
    for step, node in enumerate(graph.nodes):
        for t in node.inputs:
            last[t] = step
    return last


def output_aliases(graph: Graph) -> set[str]:
    """The graph output and every tensor it aliases through reshapes."""
    found = {graph.outputs[0]}
    for node in reversed(graph.nodes):
        op = op_of(node)
        if (op.is_alias or op.writes_into_input) and node.output in found:
            found.add(node.inputs[0])
    return found


def roots(graph: Graph, inplace: bool = True) -> Roots:
    of = {graph.inputs[0]: graph.inputs[0]}
    last_read = readers(graph)
    to_output = output_aliases(graph)
    done: dict[str, int] = {}
    for step, node in enumerate(graph.nodes):
        op = op_of(node)
        joins = op.is_alias or (op.writes_into_input and len(node.inputs) > 1)
        of[node.output] = of[node.inputs[0]] if joins else node.output
        if not inplace or joins or node.output in to_output:
            continue
        for i in op.inplace_inputs:
            root = of[node.inputs[i]]
            members = [t for t, r in of.items() if r == root and t != node.output]
            if (root != graph.inputs[0] and max(last_read.get(t, -1) for t in members) == step
                    and graph.tensors[root].size == graph.tensors[node.output].size):
                of[node.output] = root
                done[node.name] = i
                break
    return Roots(of, graph.inputs[0], of[graph.outputs[0]], done)


def lifetimes(graph: Graph, inplace: bool = True) -> list[Buffer]:
    r = roots(graph, inplace)
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
