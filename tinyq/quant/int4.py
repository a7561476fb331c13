"""int4 weights: per-channel scales chosen by an MSE clipping search, and the nibble packing
the s8s4 kernels read.

Takes float weights in the kernel's layout with output channels along `axis`; gives one
scale per output channel, or the packed bytes of an int4 array. Relies on DESIGN.md
section 3: int4 in [-8, 7], symmetric, zero point 0; element 2i in the low nibble of byte
i over the flattened kernel.

Why search: with only 16 levels, mapping max|w| to the top level wastes most of them on
a few outliers. For each channel we try s = r * max|w| / 7 over a grid of ratios r and
keep the s with the least ||w - s * clip(round(w / s), -8, 7)||^2. r runs up to 8/7 so a
channel whose extreme weight is negative can use the -8 level without clipping it.
"""

from __future__ import annotations

import numpy as np

INT4_MIN, INT4_MAX = -8, 7
# Steps of 0.01 from 0.2 to 1 (1 itself included, so the search is never worse than plain
# max scaling), then up to 8/7.
CLIP_RATIOS = np.concatenate([np.linspace(0.2, 1.0, 81), np.linspace(1.0, 8.0 / 7.0, 8)[1:]])


def channel_amax(w: np.ndarray, axis: int) -> np.ndarray:
    other = tuple(i for i in range(w.ndim) if i != axis)
    return np.max(np.abs(w), axis=other).astype(np.float64)


def quantize_int4(w: np.ndarray, scales: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.round(w.astype(np.float64) / scales.reshape(shape))
    return np.clip(q, INT4_MIN, INT4_MAX).astype(np.int8)


def max_scales(w: np.ndarray, axis: int) -> np.ndarray:
    """Plain max scaling, s = max|w| / 7 (a zero channel gets 1/7: anything is exact)."""
    amax = channel_amax(w, axis)
    return np.where(amax > 0, amax / INT4_MAX, 1.0 / INT4_MAX)


def mse_scales(w: np.ndarray, axis: int) -> np.ndarray:
    """Per-channel scale minimising the squared weight error over CLIP_RATIOS.

    1. base[c] = max|w_c| / 7 (the plain-max scale, ratio 1);
    2. for each ratio r: error[c] = sum (w_c - r base[c] q)^2, q = clip(round(w_c / (r base[c])));
    3. keep, per channel, the r with the least error (ties: the first, i.e. smaller r).
    """
    w = w.astype(np.float64)
    base = max_scales(w, axis)
    other = tuple(i for i in range(w.ndim) if i != axis)
    shape = [1] * w.ndim
    shape[axis] = -1
    best_err = np.full(base.shape, np.inf)
    best = base.copy()
    for r in CLIP_RATIOS:
        s = base * r
        err = np.sum((w - s.reshape(shape) * quantize_int4(w, s, axis)) ** 2, axis=other)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best = np.where(better, s, best)
    return best


def pack_int4(q: np.ndarray) -> np.ndarray:
    """int4 values (any shape, C order) -> bytes as int8: element 2i in the low nibble of
    byte i, 2i+1 in the high nibble; an odd count leaves the last high nibble 0."""
    flat = np.asarray(q, dtype=np.int64).ravel()
    if flat.size and (flat.min() < INT4_MIN or flat.max() > INT4_MAX):
        raise AssertionError("pack_int4: value outside [-8, 7]")
    nibbles = (flat & 15).astype(np.uint8)
    if nibbles.size % 2:
        nibbles = np.append(nibbles, np.uint8(0))
    packed = nibbles[0::2] | (nibbles[1::2] << 4)
    return packed.view(np.int8)


def unpack_int4(packed: np.ndarray, count: int) -> np.ndarray:
    """The inverse of pack_int4 for the first `count` elements (tests and inspection)."""
    b = np.asarray(packed).view(np.uint8).astype(np.int64)
    nibbles = np.stack([b & 15, b >> 4], axis=1).ravel()[:count]
    return ((nibbles ^ 8) - 8).astype(np.int8)
