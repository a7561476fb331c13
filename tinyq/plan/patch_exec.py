"""Patch-based execution (MCUNetV2) as a rewrite of the quantized graph.

The stage that produces the split tensor is replaced by n x n copies of itself, one per
patch of the split tensor. Patch k:
  1. crops the input window its receptive field needs out of the graph input (`crop`);
  2. runs every stage node on patch-local tensors: the same integer attributes, local
     shapes, and local padding, which is the layer's real padding where the window meets
     the image border and none inside (the halo rows come from the input instead);
  3. pastes its part of the split tensor into the full split tensor (`paste`, which
     writes into one buffer for all patches).
Everything after the split reads the full tensor exactly as before. Because each patch
computes the same integer sums over the same input values, the rewritten graph gives the
whole-tensor outputs bit for bit (tests/models/test_patches.py checks it in the
simulator, in C on the host and on QEMU); the arena planner then sees only one patch's
intermediates alive at a time.
"""

from __future__ import annotations

import copy

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, Tensor, verify
from tinyq.plan.patch import Region, grid, input_region, patch_regions, stage_nodes, window_params

WINDOWED = {"conv2d", "dwconv2d", "maxpool2d", "pad"}


def region_shape(region: Region, channels: int) -> tuple[int, int, int]:
    return region[1] - region[0], region[3] - region[2], channels


def local_pads(node: Node, out: Region, inp: Region, in_len: tuple[int, int]
               ) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) padding of a windowed node computing `out` from the input
    window `inp` (the rows / columns it needs, clipped to the image)."""
    (kh, kw), (sh, sw), (dh, dw), (pt, pl) = window_params(node)
    top = pt + inp[0] - out[0] * sh
    left = pl + inp[2] - out[2] * sw
    bottom = (out[1] - out[0] - 1) * sh + dh * (kh - 1) + 1 - top - in_len[0]
    right = (out[3] - out[2] - 1) * sw + dw * (kw - 1) + 1 - left - in_len[1]
    return top, left, max(0, bottom), max(0, right)


def local_node(node: Node, out: Region, inp: Region, name: str, inputs: list[str],
               output: str) -> Node:
    clone = Node(name, node.op, inputs, [output], copy.deepcopy(node.attrs), node.params,
                 node.qattrs, node.source)
    if node.op in WINDOWED:
        pads = local_pads(node, out, inp, (inp[1] - inp[0], inp[3] - inp[2]))
        if node.op == "maxpool2d":
            if pads[:2] != (0, 0):
                raise AssertionError(f"{node.where()}: padded max pooling in a patch stage")
        else:
            clone.attrs["pads"] = pads
    return clone


def rewrite_for_patches(graph: Graph, split: str, n: int) -> Graph:
    """The graph with the stage producing `split` run as n x n patches."""
    stage = stage_nodes(graph, split)
    if stage is None:
        raise TinyqError(f"--patch: tensor '{split}' does not end a spatial stage fed only "
                         "by the input (conv, depthwise, unpadded max pool, pad, "
                         "activation, add)")
    h, w, channels = graph.tensors[split].shape
    if not 1 <= n <= min(h, w):
        raise TinyqError(f"--patch: {n} x {n} patches do not fit the {h} x {w} split tensor")
    out = copy.copy(graph)
    out.tensors = dict(graph.tensors)
    nodes: list[Node] = []
    full: str | None = None
    patches = [(r0, r1, c0, c1) for r0, r1 in grid(h, n) for c0, c1 in grid(w, n)]
    for k, patch in enumerate(patches):
        need = patch_regions(graph, stage, patch)
        local: dict[str, tuple[str, Region]] = {}

        def take(tensor: str, region: Region) -> str:
            """A local tensor holding exactly `region` of `tensor` (cropping when the
            buffer this patch has holds a larger window)."""
            h, w = graph.tensors[tensor].shape[:2]
            have_name, have = local.get(tensor, (tensor, (0, h, 0, w)))
            if have == region:
                return have_name
            name = f"{tensor}@p{k}r{region[0]}c{region[2]}"
            if name not in out.tensors:
                src = graph.tensors[tensor]
                out.tensors[name] = Tensor(name, region_shape(region, src.shape[2]),
                                           src.qparams)
                nodes.append(Node(f"crop_{name}", "crop", [have_name], [name],
                                  {"top": region[0] - have[0], "left": region[2] - have[2]},
                                  source=f"patch {k} of {split}"))
            return name

        for node in stage:
            region = need[node.output]
            first_in = input_region(node, region, graph.tensors[node.inputs[0]].shape[:2])
            inputs = [take(t, first_in) for t in node.inputs]
            name = f"{node.output}@p{k}"
            src = graph.tensors[node.output]
            out.tensors[name] = Tensor(name, region_shape(region, src.shape[2]), src.qparams)
            nodes.append(local_node(node, region, first_in, f"{node.name}@p{k}", inputs, name))
            local[node.output] = (name, region)
        target = split if k == len(patches) - 1 else f"{split}@full{k}"
        out.tensors[target] = Tensor(target, graph.tensors[split].shape,
                                     graph.tensors[split].qparams)
        nodes.append(Node(f"paste_{split}@p{k}", "paste",
                          ([full] if full else []) + [local[split][0]], [target],
                          {"top": patch[0], "left": patch[2]},
                          source=f"patch {k} of {split}"))
        full = target
    out.nodes = nodes + graph.nodes[len(stage):]
    out.remove_unused_tensors()
    verify(out, f"patch rewrite of '{split}' into {n}x{n}")
    return out
