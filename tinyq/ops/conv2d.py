"""Conv2d (groups of any size) and the ATen lowering of every 2-D convolution.

aten.convolution with groups == in_c > 1 becomes a `dwconv2d` node (ops/dwconv2d.py);
everything else a `conv2d` node with OHWI weights. Integer arithmetic per output (oy,ox,o):
    acc = bias'[o] + sum_{ky,kx,i} w[o,ky,kx,i] * x[iy,ix,g*Ig+i]  (x = z_in outside)
    y = clamp(z_out + requant(acc, b[o], c[o]), act_min, act_max)
with bias' the zero-point-folded bias of quant/weights.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams
from tinyq.ops._common import (apply_act, conv_row_window, in_shape, layer_params,
                               out_shape, pad_window, requant_tail, to_nchw, to_nhwc,
                               weight_kernel, window)
from tinyq.ops.base import Buf, CCall, OpDef, RowWindow, register
from tinyq.quant.weights import WeightQuant, quantize_layer
from tinyq.sim.arith import matmul_exact


def conv_attrs(fx_node: Any, ctx: Any) -> dict[str, Any]:
    _, weight, _, stride, padding, dilation, transposed, _, groups = fx_node.args
    where = ctx.where(fx_node)
    if transposed:
        raise TinyqError(f"{where}: transposed convolution is not supported")
    if len(stride) != 2:
        raise TinyqError(f"{where}: only 2-D convolution is supported "
                         f"(got {len(stride)}-D; express Conv1d as Conv2d with a 1 x k kernel)")
    return {
        "kernel": tuple(int(k) for k in weight.meta["val"].shape[2:]),
        "stride": tuple(int(s) for s in stride),
        "dilation": tuple(int(d) for d in dilation),
        "pads": (int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])),
        "groups": int(groups),
        "act": None,
    }


def conv_float(node: Node, x: torch.Tensor) -> torch.Tensor:
    """Float semantics on NHWC; pads are (top, left, bottom, right), zeros."""
    a = node.attrs
    top, left, bottom, right = a["pads"]
    xp = F.pad(to_nchw(x), (left, right, top, bottom))
    w = torch.as_tensor(node.params["weight"], dtype=x.dtype)
    b = torch.as_tensor(node.params["bias"], dtype=x.dtype)
    y = F.conv2d(xp, w, b, stride=a["stride"], dilation=a["dilation"], groups=a["groups"])
    return apply_act(to_nhwc(y), a["act"])


def geometry(node: Node, graph: Graph) -> dict[str, int]:
    """The shape fields shared by the conv-like params structs."""
    a = node.attrs
    ih, iw, ic = in_shape(node, graph)
    oh, ow, oc = out_shape(node, graph)
    return {"in_h": ih, "in_w": iw, "in_c": ic, "out_h": oh, "out_w": ow, "out_c": oc,
            "k_h": a["kernel"][0], "k_w": a["kernel"][1],
            "stride_h": a["stride"][0], "stride_w": a["stride"][1],
            "pad_top": a["pads"][0], "pad_left": a["pads"][1],
            "dil_h": a["dilation"][0], "dil_w": a["dilation"][1]}


@register
class Conv2d(OpDef):
    name = "conv2d"
    aten = ("aten.convolution.default",)
    kernel_sources = ("conv/tq_conv2d_s8.c", "conv/tq_conv2d_s8s4.c")
    weighted = True

    def lower(self, fx_node: Any, ctx: Any) -> None:
        x = ctx.tensor(fx_node.args[0])
        if ctx.rank(x) != 4:
            raise TinyqError(f"{ctx.where(fx_node)}: only 2-D convolution on (N, C, H, W) "
                             "inputs is supported")
        weight = ctx.const(fx_node.args[1], fx_node)
        bias = ctx.const(fx_node.args[2], fx_node)
        if bias is None:
            bias = np.zeros(weight.shape[0])
        attrs = conv_attrs(fx_node, ctx)
        in_c = ctx.tensors[x].shape[2]
        depthwise = attrs["groups"] == in_c and attrs["groups"] > 1
        ctx.add_node(fx_node, "dwconv2d" if depthwise else "conv2d", [x], attrs,
                     {"weight": weight, "bias": bias})

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        return conv_float(node, inputs[0])

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams,
                 how: WeightQuant = WeightQuant()) -> dict[str, Any]:
        w_ohwi = node.params["weight"].transpose(0, 2, 3, 1)
        mean_w = None
        if how.in_mean is not None:  # weight [o, :, :, i] reads input channel g(o) * Ig + i
            oc, ig = w_ohwi.shape[0], w_ohwi.shape[3]
            group = np.arange(oc) // (oc // node.attrs["groups"])
            mean_w = how.in_mean.reshape(-1, ig)[group][:, None, None, :]
        levels = how.rounding.levels if how.rounding else None
        return quantize_layer(w_ohwi, node.params["bias"], 0, in_q[0], out_q,
                              node.attrs["act"], how, mean_w,
                              None if levels is None else levels.transpose(0, 2, 3, 1))

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        a, q = node.attrs, node.qattrs
        wq = q["weights"]  # (O, kh, kw, Ig)
        oc, kh, kw, ig = wq.shape
        x = inputs[0]
        n = x.shape[0]
        out_hw = out_shape(node, graph)[:2]
        xp = pad_window(x, a["pads"][:2], a["kernel"], a["stride"], a["dilation"], out_hw,
                        q["in_zp"])
        taps = [window(xp, ky, kx, a["stride"], a["dilation"], out_hw)
                for ky in range(kh) for kx in range(kw)]
        cols = np.stack(taps, axis=3)  # (N, oh, ow, kh*kw, C)
        og = oc // a["groups"]
        acc = np.empty((n, out_hw[0], out_hw[1], oc), dtype=np.int64)
        for g in range(a["groups"]):
            patch = cols[..., g * ig:(g + 1) * ig].reshape(-1, kh * kw * ig)
            w_g = wq[g * og:(g + 1) * og].reshape(og, -1)
            acc[..., g * og:(g + 1) * og] = matmul_exact(patch, w_g.T).reshape(
                n, out_hw[0], out_hw[1], og)
        return requant_tail(acc + q["bias"], node)

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        params = {**geometry(node, graph), "groups": node.attrs["groups"],
                  "in_zp": node.qattrs["in_zp"], **layer_params(node)}
        return [CCall(weight_kernel("tq_conv2d", node), [Buf("in"), Buf("out")],
                      "tq_conv2d_params", params)]

    def row_window(self, node: Node, graph: Graph) -> RowWindow | None:
        return conv_row_window(node, graph)

    def macs(self, node: Node, graph: Graph) -> int:
        oh, ow, oc = out_shape(node, graph)
        ic = in_shape(node, graph)[2]
        kh, kw = node.attrs["kernel"]
        return oh * ow * oc * kh * kw * ic // node.attrs["groups"]
