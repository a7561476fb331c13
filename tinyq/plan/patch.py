"""Patch-based inference planning (MCUNetV2): where to split, into how many patches, and
what it costs.

The first layers of a CNN hold the largest feature maps. Running the stage up to a split
tensor patch by patch (an n x n grid over the split tensor, each patch's input window
derived backwards through the receptive field, overlapping halos recomputed) keeps only
one patch's intermediates alive. For every candidate split and n this module computes:
  1. the input region every stage tensor needs for each patch (receptive field, clipped at
     the image border, where real padding applies);
  2. the MACs the patches do, against the whole-tensor MACs (the recomputation overhead);
  3. the peak arena: during the stage, the full split tensor being assembled plus the
     largest per-patch buffers alive together; after it, the rest of the network planned
     as usual.
`choose_patch_plan` picks the lowest peak within a MAC-overhead budget.

Relies on the stage being spatial: conv2d, dwconv2d, maxpool2d, pad, activation and add
on (H, W, C) tensors, fed only by the graph input or by each other. This is the planning
half of patch-based inference; plan/patch_exec.py rewrites the graph to execute it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyq.ir import Graph, Node
from tinyq.ops import op_of
from tinyq.plan.arena import best_placement, arena_size
from tinyq.plan.lifetimes import Buffer, align, lifetimes

# Average pooling is left out: its divisor depends on where a window sits in the whole
# image (count_include_pad), which a patch-local window does not know.
SPATIAL = {"conv2d", "dwconv2d", "maxpool2d", "pad", "activation", "add"}
Region = tuple[int, int, int, int]  # rows [r0, r1), cols [c0, c1)


@dataclass(frozen=True)
class PatchPlan:
    split: str           # the tensor assembled in full; everything before runs per patch
    n: int               # n x n patches
    peak_bytes: int      # arena peak with this plan
    macs: int            # MACs with recomputation
    base_macs: int       # MACs of whole-tensor execution
    base_peak_bytes: int  # arena without patches

    @property
    def mac_overhead(self) -> float:
        return mac_overhead(self.macs, self.base_macs)


def mac_overhead(macs: int, base_macs: int) -> float:
    """Extra MACs of a patch plan as a fraction; a model of pooling and elementwise ops only
    has none to recompute."""
    return macs / base_macs - 1.0 if base_macs else 0.0


def window_params(node: Node) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int],
                                        tuple[int, int]]:
    """(kernel, stride, dilation, (pad_top, pad_left)) of a windowed op, 1x1 otherwise."""
    a = node.attrs
    if node.op in ("conv2d", "dwconv2d"):
        return a["kernel"], a["stride"], a["dilation"], a["pads"][:2]
    if node.op == "maxpool2d":
        return a["kernel"], a["stride"], a["dilation"], a["padding"]
    if node.op == "avgpool2d":
        return a["kernel"], a["stride"], (1, 1), a["padding"]
    if node.op == "pad":
        return (1, 1), (1, 1), (1, 1), a["pads"][:2]
    return (1, 1), (1, 1), (1, 1), (0, 0)


def input_region(node: Node, out: Region, in_hw: tuple[int, int]) -> Region:
    """The input rows / columns a node reads to produce `out`, clipped to the input."""
    (kh, kw), (sh, sw), (dh, dw), (pt, pl) = window_params(node)
    r0 = max(0, out[0] * sh - pt)
    r1 = min(in_hw[0], (out[1] - 1) * sh - pt + dh * (kh - 1) + 1)
    c0 = max(0, out[2] * sw - pl)
    c1 = min(in_hw[1], (out[3] - 1) * sw - pl + dw * (kw - 1) + 1)
    return r0, r1, c0, c1


def union(a: Region | None, b: Region) -> Region:
    if a is None:
        return b
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def stage_nodes(graph: Graph, split: str) -> list[Node] | None:
    """The nodes producing `split` and everything it depends on, if they form a spatial
    stage fed only by the graph input; else None."""
    nodes = []
    for node in graph.nodes:
        nodes.append(node)
        if node.output == split:
            break
    else:
        return None
    if any(n.op not in SPATIAL or len(graph.tensors[n.output].shape) != 3 for n in nodes):
        return None
    if any(n.op == "maxpool2d" and tuple(n.attrs["padding"]) != (0, 0) for n in nodes):
        return None  # padded max pooling ignores padding (no value): not patch-local
    produced = {graph.inputs[0]} | {n.output for n in nodes}
    if any(t not in produced for n in nodes for t in n.inputs):
        return None
    later = graph.nodes[len(nodes):]
    if any(t in produced - {split} for n in later for t in n.inputs):
        return None  # a stage tensor other than the split one is read after the stage
    return nodes


def patch_regions(graph: Graph, stage: list[Node], out: Region) -> dict[str, Region]:
    """Backwards from one patch of the split tensor: the region of every stage tensor."""
    need: dict[str, Region] = {stage[-1].output: out}
    for node in reversed(stage):
        region = need.get(node.output)
        if region is None:
            continue
        for t in node.inputs:
            h, w, _ = graph.tensors[t].shape
            need[t] = union(need.get(t), input_region(node, region, (h, w)))
    return need


def grid(length: int, n: int) -> list[tuple[int, int]]:
    edges = [round(i * length / n) for i in range(n + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def node_macs(node: Node, graph: Graph, region: Region) -> int:
    whole = op_of(node).macs(node, graph)
    h, w, _ = graph.tensors[node.output].shape
    return whole * (region[1] - region[0]) * (region[3] - region[2]) // (h * w)


def evaluate(graph: Graph, split: str, n: int, base_peak: int, base_macs: int
             ) -> PatchPlan | None:
    stage = stage_nodes(graph, split)
    if stage is None:
        return None
    h, w, c = graph.tensors[split].shape
    if n > min(h, w):
        return None
    patches = [(r0, r1, c0, c1) for r0, r1 in grid(h, n) for c0, c1 in grid(w, n)]
    regions = [patch_regions(graph, stage, p) for p in patches]
    stage_macs = sum(node_macs(node, graph, reg[node.output])
                     for reg in regions for node in stage)
    rest_macs = sum(op_of(node).macs(node, graph) for node in graph.nodes[len(stage):])
    stage_peak = stage_arena(graph, stage, regions)
    rest_peak = rest_arena(graph, stage)
    return PatchPlan(split, n, max(stage_peak, rest_peak), stage_macs + rest_macs,
                     base_macs, base_peak)


def stage_arena(graph: Graph, stage: list[Node], regions: list[dict[str, Region]]) -> int:
    """The full split tensor plus the per-patch buffers, each sized for the largest patch
    region of its tensor, planned over the stage's steps. Counted conservatively for an
    execution that copies each patch's input window out of the input (step 0) and its
    split-tensor patch into the full split tensor (after the last step)."""
    split = stage[-1].output
    first = {n.output: i + 1 for i, n in enumerate(stage)}
    first[graph.inputs[0]] = 0
    last: dict[str, int] = {split: len(stage) + 1}
    for i, node in enumerate(stage):
        for t in node.inputs:
            last[t] = i + 1
    buffers = []
    for t in first:
        c = graph.tensors[t].shape[2]
        size = max(align((r[t][1] - r[t][0]) * (r[t][3] - r[t][2]) * c) for r in regions)
        buffers.append(Buffer(t, size, first[t], last.get(t, first[t])))
    buffers.append(Buffer(split + "#full", align(graph.tensors[split].size), 0,
                          len(stage) + 1))
    return arena_size(buffers, best_placement(buffers)[1])


def rest_arena(graph: Graph, stage: list[Node]) -> int:
    """The arena of everything after the stage, the split tensor alive from its start."""
    split = stage[-1].output
    buffers = [b for b in lifetimes(graph) if b.name not in {n.output for n in stage[:-1]}]
    k = len(stage) - 1
    buffers = [Buffer(b.name, b.size, 0, b.last) if b.name == split else b
               for b in buffers if b.last >= k]
    return arena_size(buffers, best_placement(buffers)[1])


def candidates(graph: Graph, max_n: int = 8) -> list[PatchPlan]:
    base_buffers = lifetimes(graph)
    base_peak = arena_size(base_buffers, best_placement(base_buffers)[1])
    base_macs = sum(op_of(n).macs(n, graph) for n in graph.nodes)
    plans = []
    for node in graph.nodes:
        for n in range(2, max_n + 1):
            plan = evaluate(graph, node.output, n, base_peak, base_macs)
            if plan is not None:
                plans.append(plan)
    return plans


def choose_patch_plan(graph: Graph, max_mac_overhead: float = 0.10,
                      sram_budget: int | None = None) -> PatchPlan | None:
    """Lowest peak within the MAC budget; with an SRAM budget, the fewest MACs that fit.
    None when no plan beats whole-tensor execution."""
    plans = [p for p in candidates(graph) if p.mac_overhead <= max_mac_overhead + 1e-12
             and p.peak_bytes < p.base_peak_bytes]
    if sram_budget is not None:
        fitting = [p for p in plans if p.peak_bytes <= sram_budget]
        return min(fitting, key=lambda p: (p.macs, p.peak_bytes, p.n)) if fitting else None
    return min(plans, key=lambda p: (p.peak_bytes, p.macs, p.n), default=None)


def describe(plan: PatchPlan) -> str:
    return (f"split after '{plan.split}' into {plan.n}x{plan.n} patches: peak "
            f"{plan.peak_bytes:,} B (whole-tensor {plan.base_peak_bytes:,} B), "
            f"{100 * plan.mac_overhead:.1f}% extra MACs")
