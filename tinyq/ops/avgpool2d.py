"""AvgPool2d, AdaptiveAvgPool2d (when the input divides evenly) and mean over H, W.

PyTorch's divisor per window (count_include_pad, ceil_mode, divisor_override) is a small
integer d known per output position; the kernel recomputes d and looks up a dyadic
multiplier M_d = s_in / (s_out * d) in a table of k_h * k_w + 1 entries, so no division
runs on the device:
    acc = sum over the window's in-bounds inputs of (x - z_in)
    y = clamp(z_out + requant(acc, b[d], c[d]), act_min, act_max)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import apply_act, in_shape, out_shape, pad_window, to_nchw, to_nhwc
from tinyq.ops._common import window
from tinyq.ops._pool import arg, pair, pool_geometry
from tinyq.ops.base import Buf, CCall, Const, OpDef, register
from tinyq.ops.reshape import lower_reshape
from tinyq.quant.dyadic import dyadic_array
from tinyq.quant.weights import act_range
from tinyq.sim.arith import clamp_s8, requant


def pool_attrs(kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> dict[str, Any]:
    return {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
            "count_include_pad": count_include_pad, "divisor_override": divisor_override,
            "act": None}


@register
class AvgPool2d(OpDef):
    name = "avgpool2d"
    aten = ("aten.avg_pool2d.default", "aten.adaptive_avg_pool2d.default",
            "aten._adaptive_avg_pool2d.default", "aten.mean.dim")
    kernel_sources = ("pool/tq_avgpool2d_s8.c",)

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        where = ctx.where(fx_node)
        if ctx.rank(x) != 4:
            raise TinyqError(f"{where}: only 2-D average pooling / mean over (H, W) of an "
                             "(N, C, H, W) tensor is supported")
        h, w, c = ctx.tensors[x].shape
        target = str(fx_node.target)
        out_shape_torch = None
        if target == "aten.avg_pool2d.default":
            kernel = pair(arg(fx_node, 1, "kernel_size", None))
            attrs = pool_attrs(kernel, pair(arg(fx_node, 2, "stride", None), kernel),
                               pair(arg(fx_node, 3, "padding", 0)),
                               bool(arg(fx_node, 4, "ceil_mode", False)),
                               bool(arg(fx_node, 5, "count_include_pad", True)),
                               arg(fx_node, 6, "divisor_override", None))
        elif target == "aten.mean.dim":
            dims = sorted(d % 4 for d in fx_node.args[1])
            if dims != [2, 3]:
                raise TinyqError(f"{where}: mean over dims {fx_node.args[1]} is not "
                                 "supported (only over H and W)")
            attrs = pool_attrs((h, w), (1, 1), (0, 0))
            out_shape_torch = (1, c, 1, 1)
        else:
            oh, ow = pair(fx_node.args[1])
            if h % oh or w % ow:
                raise TinyqError(f"{where}: adaptive average pooling from {h}x{w} to "
                                 f"{oh}x{ow} has uneven windows; not supported")
            attrs = pool_attrs((h // oh, w // ow), (h // oh, w // ow), (0, 0))
        keep = target != "aten.mean.dim" or arg(fx_node, 2, "keepdim", False)
        node = ctx.add_node(fx_node, "avgpool2d", [x], attrs, torch_shape=out_shape_torch,
                            suffix="" if keep else "_pooled")
        if not keep:
            # The pooled (1, 1, C) tensor and the (C,) mean share memory: a reshape.
            lower_reshape(fx_node, ctx, node.output)

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        a = node.attrs
        y = F.avg_pool2d(to_nchw(inputs[0]), a["kernel"], a["stride"], a["padding"],
                         a["ceil_mode"], a["count_include_pad"], a["divisor_override"])
        return apply_act(to_nhwc(y), a["act"])

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        a = node.attrs
        n = a["kernel"][0] * a["kernel"][1]
        d = np.arange(n + 1, dtype=np.float64)
        if a["divisor_override"]:
            d[:] = a["divisor_override"]
        ratios = np.divide(in_q[0].scale / out_q.scale, d, out=np.zeros_like(d), where=d > 0)
        mult, shift = dyadic_array(ratios)
        lo, hi = act_range(out_q, a["act"])
        return {"mult": mult, "shift": shift, "in_zp": in_q[0].zero_point,
                "out_zp": out_q.zero_point, "act_min": lo, "act_max": hi}

    def divisors(self, node: Node, graph: Graph) -> np.ndarray:
        """The divisor index d of every output position, exactly as the C kernel finds it."""
        a = node.attrs
        (ih, iw, _), (oh, ow, _) = in_shape(node, graph), out_shape(node, graph)

        def spans(n_out: int, n_in: int, k: int, s: int, p: int) -> tuple[np.ndarray, ...]:
            lo = np.arange(n_out) * s - p
            hi = np.minimum(lo + k, n_in + p)
            return hi - lo, np.minimum(hi, n_in) - np.maximum(lo, 0)

        ph, vh = spans(oh, ih, a["kernel"][0], a["stride"][0], a["padding"][0])
        pw, vw = spans(ow, iw, a["kernel"][1], a["stride"][1], a["padding"][1])
        if a["count_include_pad"]:
            return np.outer(ph, pw)
        return np.outer(vh, vw)

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        a, q = node.attrs, node.qattrs
        out_hw = out_shape(node, graph)[:2]
        x = inputs[0].astype(np.int64) - q["in_zp"]
        xp = pad_window(x, a["padding"], a["kernel"], a["stride"], (1, 1), out_hw, 0)
        acc = sum(window(xp, ky, kx, a["stride"], (1, 1), out_hw)
                  for ky in range(a["kernel"][0]) for kx in range(a["kernel"][1]))
        d = self.divisors(node, graph)
        y = q["out_zp"] + requant(acc, q["mult"][d][..., None], q["shift"][d][..., None])
        return clamp_s8(y, q["act_min"], q["act_max"])

    def writes_behind_reads(self, node: Node, graph: Graph) -> bool:
        return tuple(node.attrs["padding"]) == (0, 0)  # a padded window reads back up-left

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        a, q = node.attrs, node.qattrs
        params = {**pool_geometry(node, graph), "pad_h": a["padding"][0], "pad_w": a["padding"][1],
                  "count_include_pad": int(a["count_include_pad"]),
                  "in_zp": q["in_zp"], "out_zp": q["out_zp"],
                  "act_min": q["act_min"], "act_max": q["act_max"],
                  "mult": Const("m", "int32_t", q["mult"]),
                  "shift": Const("s", "int8_t", q["shift"])}
        return [CCall("tq_avgpool2d_s8", [Buf("in"), Buf("out")], "tq_avgpool2d_params",
                      params)]
