"""Weight and bias quantization shared by the ops with weights (conv, depthwise, linear).

Weights: symmetric per output channel, s_w[o] = max|w_o| / 127, q = round(w / s_w) in
[-127, 127]. Bias: int32 at scale s_in * s_w[o]; the input zero point folded in:
    acc = sum w_q * (x_q - z_in) + b_q = sum w_q * x_q + (b_q - z_in * sum w_q)
so the kernel adds `bias' = b_q - z_in * sum(w_q)` and reads padding as z_in.
Output: M[o] = s_in * s_w[o] / s_out as a dyadic number (quant/dyadic.py).
A channel whose bias would not fit int32 at that scale gets a coarser weight scale; a
channel of zeros gets s_w = 1/127 (any scale represents it exactly).

int4 layers (WeightQuant.bits == 4, quant/int4.py): q in [-8, 7] with s_w[o] from an MSE
clipping search (or max|w_o| / 7), the same bias limit. Their larger weight error shifts
each output channel's mean by E[sum (s q - w) x]; with the layer input's per-channel
calibration mean m (bias correction, Nagel et al. 2019) the float bias becomes
    b[o] - sum (s_w[o] q[o,...] - w[o,...]) * m[...]
before it is quantized, so the int4 layer's output mean matches the float layer's. m is
the mean over all positions of the input; taps that fall into a convolution's zero
padding are not singled out (a small approximation at the borders). int8 layers (weight
error ~16x smaller) are left exactly as they were.

Learned rounding (quant/adaround.py): the scales stay as above; only the integer each
weight gets changes, to floor(w / s) or floor(w / s) + 1 on the grid, as
WeightQuant.rounding.levels says. Bias correction and folding then use those levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinyq.ir import QParams
from tinyq.quant.dyadic import dyadic_array
from tinyq.quant.int4 import INT4_MAX, INT4_MIN, max_scales, mse_scales, quantize_int4

INT8_MAX_W = 127
BIAS_LIMIT = float(1 << 30)  # leaves room for the folded zero-point term
INT4_CLIPS = ("mse", "max")


@dataclass(frozen=True)
class LearnedRounding:
    """The integer weights a rounding optimiser chose for one layer (quant/adaround.py)."""

    # In the PyTorch layout of node.params["weight"]; the op lays them out like the
    # weights. None: the optimiser kept round-to-nearest.
    levels: np.ndarray | None
    summary: dict[str, Any] = field(default_factory=dict)  # for report.json


@dataclass(frozen=True)
class WeightQuant:
    """How one layer's weights are quantized (ptq.py fills it per node)."""

    bits: int = 8
    clip: str = "mse"  # int4 scale choice: "mse" search or plain "max"
    # For bias correction: the calibration mean of each channel (last axis) of the
    # layer's float input; None: no correction.
    in_mean: np.ndarray | None = None
    rounding: LearnedRounding | None = None  # None: round to nearest


def weight_grid(bits: int) -> tuple[int, int]:
    """The integer range of a weight of `bits` bits (symmetric int8, full int4)."""
    return (INT4_MIN, INT4_MAX) if bits == 4 else (-INT8_MAX_W, INT8_MAX_W)


def weight_scales(w: np.ndarray, bias: np.ndarray, in_scale: float, axis: int,
                  how: WeightQuant = WeightQuant()) -> np.ndarray:
    """Per-channel scales along `axis` (the output-channel axis of the layout)."""
    if how.bits == 4:
        scales = mse_scales(w, axis) if how.clip == "mse" else max_scales(w, axis)
    else:
        other = tuple(i for i in range(w.ndim) if i != axis)
        amax = np.max(np.abs(w), axis=other).astype(np.float64)
        scales = np.where(amax > 0, amax / INT8_MAX_W, 1.0 / INT8_MAX_W)
    needed = np.abs(bias.astype(np.float64)) / (in_scale * BIAS_LIMIT)
    return np.maximum(scales, needed)


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.round(w.astype(np.float64) / scales.reshape(shape))
    return np.clip(q, -INT8_MAX_W, INT8_MAX_W).astype(np.int8)


def corrected_bias(w: np.ndarray, bias: np.ndarray, wq: np.ndarray, scales: np.ndarray,
                   axis: int, in_mean_w: np.ndarray, in_scale: float) -> np.ndarray:
    """bias - E[(s q - w) x] per output channel; in_mean_w broadcasts to w's shape and
    holds, for each weight, the calibration mean of the input value it multiplies."""
    shape = [1] * w.ndim
    shape[axis] = -1
    other = tuple(i for i in range(w.ndim) if i != axis)
    error = wq.astype(np.float64) * scales.reshape(shape) - w.astype(np.float64)
    corrected = bias.astype(np.float64) - np.sum(error * in_mean_w, axis=other)
    # The scales honour the bias limit of the uncorrected bias; a channel whose corrected
    # bias would break it keeps its plain bias rather than getting a coarser scale.
    fits = np.abs(corrected) <= in_scale * scales * BIAS_LIMIT
    return np.where(fits, corrected, bias.astype(np.float64))


def fold_bias(bias: np.ndarray, wq: np.ndarray, scales: np.ndarray, in_q: QParams,
              axis: int) -> np.ndarray:
    other = tuple(i for i in range(wq.ndim) if i != axis)
    bq = np.round(bias.astype(np.float64) / (in_q.scale * scales)).astype(np.int64)
    folded = bq - in_q.zero_point * wq.astype(np.int64).sum(axis=other)
    if np.any(np.abs(folded) >= 1 << 31):
        raise AssertionError("folded bias exceeds int32 despite the bias-aware weight scale")
    return folded.astype(np.int32)


def act_range(out_q: QParams, act: tuple[float, float] | None) -> tuple[int, int]:
    """A fused clamp (ReLU, ReLU6, Hardtanh) in real units -> int8 bounds."""
    if act is None:
        return -128, 127
    lo, hi = act
    qlo = -128 if lo == -np.inf else int(np.floor(lo / out_q.scale + 0.5)) + out_q.zero_point
    qhi = 127 if hi == np.inf else int(np.floor(hi / out_q.scale + 0.5)) + out_q.zero_point
    return max(-128, min(127, qlo)), max(-128, min(127, qhi))


def learned_levels(levels: np.ndarray, w: np.ndarray, bits: int) -> np.ndarray:
    """A rounding optimiser's integer weights, checked against the layer they are for."""
    lo, hi = weight_grid(bits)
    if levels.shape != w.shape or levels.min() < lo or levels.max() > hi:
        raise AssertionError(f"learned weights of shape {levels.shape} in "
                             f"[{levels.min()}, {levels.max()}] do not fit weights of shape "
                             f"{w.shape} on the int{bits} grid [{lo}, {hi}]")
    return levels.astype(np.int8)


def quantize_layer(w: np.ndarray, bias: np.ndarray, axis: int, in_q: QParams,
                   out_q: QParams, act: tuple[float, float] | None,
                   how: WeightQuant = WeightQuant(),
                   in_mean_w: np.ndarray | None = None,
                   levels: np.ndarray | None = None) -> dict[str, object]:
    """Everything a weighted layer's kernel needs: int8 or int4 weights (unpacked, one per
    int8, in the kernel's layout, output channels along `axis`), int32 bias', b[], c[],
    zero points, clamp and the weight bit width. in_mean_w: how.in_mean laid out like w
    (the op knows which input channel each weight reads), for int4 bias correction.
    levels: how.rounding.levels laid out like w (learned integer weights), if any."""
    scales = weight_scales(w, bias, in_q.scale, axis, how)
    if levels is not None:
        wq = learned_levels(levels, w, how.bits)
    elif how.bits == 4:
        wq = quantize_int4(w, scales, axis)
    else:
        wq = quantize_weights(w, scales, axis)
    if how.bits == 4 and in_mean_w is not None:
        bias = corrected_bias(w, bias, wq, scales, axis, in_mean_w, in_q.scale)
    mult, shift = dyadic_array(in_q.scale * scales / out_q.scale)
    lo, hi = act_range(out_q, act)
    learned = {} if how.rounding is None else {"rounding": how.rounding.summary}
    return {
        **learned,
        "weights": wq,
        "weight_bits": how.bits,
        "bias": fold_bias(bias, wq, scales, in_q, axis),
        "mult": mult,
        "shift": shift,
        "w_scales": scales,
        "in_zp": in_q.zero_point,
        "out_zp": out_q.zero_point,
        "act_min": lo,
        "act_max": hi,
    }
