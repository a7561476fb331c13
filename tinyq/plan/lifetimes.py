"""Tensor lifetimes of a graph: which buffers exist and from which step to which.

Alias ops (reshape) share their input's memory, so tensors are grouped under a root
buffer. With `inplace`, a node whose input is read by nothing later writes its output
into that input's buffer, and the output joins the input's root, when its kernel allows:
elementwise ops (OpDef.inplace_inputs, same size), convolutions by rows through a small
ring of scratch rows (OpDef.row_window, same size), and pooling that writes behind its
reads (OpDef.writes_behind_reads; the output may be smaller: the root keeps the input's
size for the output's lifetime, so it does not always pay). The last two cost a little
time or memory, so the planner may `skip` them where they do not shrink the arena. The
graph input lives in the caller's `in` buffer (read-only, never reused) and the output in
`out`, so neither takes arena space. Node i reads its inputs and writes its output during step i: a buffer lives
from its producer's step to its last reader's step, inclusive, and two buffers whose
intervals meet may not overlap in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Node
from tinyq.ops import RowWindow, op_of

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
    """tensor -> root buffer name, plus the two roots that live outside the arena, the
    nodes that run in place (node name -> the input index they overwrite), of those the
    ones that do so row by row (node name -> their rows), and the ones whose in-place run
    is optional (by rows, or a smaller output behind its reads)."""

    of: dict[str, str]
    input_root: str
    output_root: str
    inplace: dict[str, int]
    rows: dict[str, RowWindow]
    optional: frozenset[str] = frozenset()


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


def roots(graph: Graph, inplace: bool = True, skip: frozenset[str] = frozenset()) -> Roots:
    of = {graph.inputs[0]: graph.inputs[0]}
    last_read = readers(graph)
    to_output = output_aliases(graph)
    done: dict[str, int] = {}
    by_rows: dict[str, RowWindow] = {}
    optional: set[str] = set()
    for step, node in enumerate(graph.nodes):
        op = op_of(node)
        joins = op.is_alias or (op.writes_into_input and len(node.inputs) > 1)
        of[node.output] = of[node.inputs[0]] if joins else node.output
        if not inplace or joins or node.output in to_output:
            continue
        for i, rows, elective in inplace_candidates(graph, node, node.name not in skip):
            root = of[node.inputs[i]]
            members = [t for t, r in of.items() if r == root and t != node.output]
            if root != graph.inputs[0] and max(last_read.get(t, -1) for t in members) == step:
                of[node.output] = root
                done[node.name] = i
                if rows is not None:
                    by_rows[node.name] = rows
                if elective:
                    optional.add(node.name)
                break
    return Roots(of, graph.inputs[0], of[graph.outputs[0]], done, by_rows, frozenset(optional))


def inplace_candidates(graph: Graph, node: Node, elective: bool
                       ) -> list[tuple[int, RowWindow | None, bool]]:
    """(input index, rows or None, optional?) the node's kernel could overwrite, size
    permitting; the optional kinds only if `elective`."""
    op = op_of(node)
    out = graph.tensors[node.output].size
    found: list[tuple[int, RowWindow | None, bool]] = [
        (i, None, False) for i in op.inplace_inputs
        if graph.tensors[node.inputs[i]].size == out]
    if elective:
        rows = op.row_window(node, graph)
        if rows is not None:
            found.append((0, rows, True))
        elif op.writes_behind_reads(node, graph):
            found.append((0, None, True))
    return found


def lifetimes(graph: Graph, inplace: bool = True,
              skip: frozenset[str] = frozenset()) -> list[Buffer]:
    r = roots(graph, inplace, skip)
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
