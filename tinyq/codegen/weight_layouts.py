"""Weight layouts of ISA kernel variants that read their weights in an order of their own.

Each function takes a call's params and its reference weights (the array the portable
kernel reads: OHWI int8, or OHWI int4 packed two per byte) and gives the bytes the variant
reads, or None when they are the reference bytes. model_c emits the variant's bytes under
the feature's #if and the reference bytes under #else (codegen/variants.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinyq.quant.int4 import pack_int4, unpack_int4


def conv_s8_dsp_layout(params: dict[str, Any], weights: np.ndarray) -> np.ndarray | None:
    """OHWI int8 -> tq_conv2d_s8_dsp's layout (tinyq.h): each filter zero-padded to whole
    groups of 4 elements, so every group is one aligned word of its own filter. None when
    the filter size is a multiple of 4 (the reference bytes) or grouped (the reference
    kernel)."""
    out_c = weights.shape[0]
    filters = weights.reshape(out_c, -1)
    fsz = filters.shape[1]
    if params["groups"] != 1 or fsz % 4 == 0:
        return None
    padded = np.zeros((out_c, 4 * -(-fsz // 4)), dtype=np.int8)
    padded[:, :fsz] = filters
    return padded.reshape(-1)


def conv_s16_dsp_layout(params: dict[str, Any], weights: np.ndarray) -> np.ndarray | None:
    """OHWI int8 -> tq_conv2d_s8s16_dsp's int16 layout (tinyq.h), as little-endian bytes.

    1. filters in pairs, a zero filter after an odd last one;
    2. each filter zero-padded to F = 8 ceil(fsz / 8) elements;
    3. per pair and group of 4 elements (e0 e1 e2 e3): the first filter's halfword pairs
       (e0, e2), (e1, e3), then the second's: the pairing SXTB16 gives the activation
       column, so each SMLAD meets its weights with no widening in the loop.
    Grouped convolutions (the reference kernel) keep OHWI: None."""
    if params["groups"] != 1:
        return None
    out_c = weights.shape[0]
    filters = weights.reshape(out_c, -1).astype(np.int16)
    fsz = filters.shape[1]
    padded = np.zeros((out_c + out_c % 2, 8 * -(-fsz // 8)), dtype=np.int16)
    padded[:out_c, :fsz] = filters
    groups = padded.reshape(-1, 2, padded.shape[1] // 4, 4)[..., [0, 2, 1, 3]]
    return groups.transpose(0, 2, 1, 3).astype("<i2").reshape(-1).view(np.int8)


def conv_s4_dsp_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 OHWI -> tq_conv2d_s8s4_dsp's layout (tinyq.h), 2 ceil(fsz / 4) bytes
    per filter:

    1. each filter zero-padded to Q = ceil(fsz / 4) groups of 4 nibbles;
    2. per pair of filters (a, b) and group (e0 e1 e2 e3), one word of nibbles, lowest
       first, b1 b0 a1 a0 b3 b2 a3 a2: (u << s) & 0xF000F000 for s = 0, 4, 8, 12 are then
       a's (e0, e2), a's (e1, e3), b's (e0, e2), b's (e1, e3) at the tops of halfwords,
       the pairing of the kernel's activation column;
    3. an odd last filter: per group one halfword a2 a3 a0 a1 (h | h << 24 gives the same
       pairs at s = 4 and 0).
    Grouped convolutions (the reference kernel) keep the packed layout: None."""
    if params["groups"] != 1:
        return None
    out_c = params["out_c"]
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    nibbles = unpack_int4(packed, out_c * fsz).astype(np.uint8) & 15  # two's complement
    quads = -(-fsz // 4)
    filters = np.zeros((out_c, 4 * quads), dtype=np.uint8)
    filters[:, :fsz] = nibbles.reshape(out_c, fsz)
    groups = filters.reshape(out_c, quads, 4)
    a, b = groups[0:out_c - 1:2], groups[1::2]
    pairs = np.stack([b[..., 1] | b[..., 0] << 4, a[..., 1] | a[..., 0] << 4,
                      b[..., 3] | b[..., 2] << 4, a[..., 3] | a[..., 2] << 4], axis=-1)
    parts = [pairs.reshape(-1)]
    if out_c % 2:
        last = groups[-1]
        parts.append(np.stack([last[:, 2] | last[:, 3] << 4,
                               last[:, 0] | last[:, 1] << 4], axis=-1).reshape(-1))
    return np.concatenate(parts).astype(np.uint8).view(np.int8)


def conv_s4_mve_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 OHWI -> tq_conv2d_s8s4_mve's layout (tinyq.h), ceil(fsz / 2) bytes per
    filter, each filter starting on a byte:

    1. per whole block of 32 elements, 16 bytes: byte j holds element j in its low nibble
       and element 16 + j in its high one, so the two nibble vectors of 16 bytes meet two
       contiguous 16-byte runs of the window;
    2. the last m = fsz mod 32 elements likewise split at h = ceil(m / 2): h bytes, byte j
       holding elements j and h + j (a zero high nibble past m).
    Grouped convolutions (the reference kernel) keep the packed layout: None."""
    if params["groups"] != 1:
        return None
    out_c = params["out_c"]
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    filters = unpack_int4(packed, out_c * fsz).astype(np.uint8).reshape(out_c, fsz) & 15
    parts = []
    whole = fsz - fsz % 32
    if whole:
        blocks = filters[:, :whole].reshape(out_c, -1, 2, 16)
        parts.append((blocks[:, :, 0] | blocks[:, :, 1] << 4).reshape(out_c, -1))
    tail = filters[:, whole:]
    if tail.shape[1]:
        half = -(-tail.shape[1] // 2)
        high = np.zeros((out_c, half), dtype=np.uint8)
        high[:, :tail.shape[1] - half] = tail[:, half:]
        parts.append(tail[:, :half] | high << 4)
    return np.concatenate(parts, axis=1).reshape(-1).view(np.int8)


DW_DSP_MAX_TAPS = 64  # TQ_DW_MAX_TAPS of tq_dw_dsp.h: larger kernels run the reference


def dw_s4_dsp_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 [k_h][k_w][out_c] -> tq_dwconv2d_s8s4_dsp's layout (tinyq.h), as many
    bytes as the packed array. With T = k_h k_w taps, F = out_c // 4 groups of channels
    c0..c3 and values stored excess-8 (w + 8, so a masked nibble needs no sign extension):

    1. per group and pair of taps (t, u = t + 1), one word of nibbles, lowest first,
       t0 t1 u0 u1 t2 t3 u2 u3: (v >> s) & 0x000F000F - 0x00080008 for s = 0, 4, 8, 12
       are t's (c0, c2), t's (c1, c3), u's (c0, c2), u's (c1, c3) as int16 pairs, the
       pairing of the kernel's widened weight block;
    2. for an odd T, per group one halfword for the last tap, c0 c1 c2 c3 (h | h << 8
       gives its pairs at s = 0 and 4);
    3. the out_c % 4 last channels' [T][n] weights packed two per byte as DESIGN.md
       section 3 (two's complement).
    Kernels of more than DW_DSP_MAX_TAPS taps run the reference kernel: None."""
    taps, out_c = params["k_h"] * params["k_w"], params["out_c"]
    if taps > DW_DSP_MAX_TAPS:
        return None
    q = unpack_int4(packed, taps * out_c).reshape(taps, out_c).astype(np.int64)
    full = out_c - out_c % 4
    x = (q[:, :full] + 8).reshape(taps, -1, 4).transpose(1, 0, 2)  # (F, T, 4)
    t, u = x[:, 0:taps - 1:2], x[:, 1::2]
    words = (t[..., 0] | t[..., 1] << 4 | u[..., 0] << 8 | u[..., 1] << 12
             | t[..., 2] << 16 | t[..., 3] << 20 | u[..., 2] << 24 | u[..., 3] << 28)
    parts = [words.astype("<u4").reshape(-1).view(np.uint8)]
    if taps % 2:
        last = x[:, -1]
        half = last[:, 0] | last[:, 1] << 4 | last[:, 2] << 8 | last[:, 3] << 12
        parts.append(half.astype("<u2").view(np.uint8))
    if full < out_c:
        parts.append(pack_int4(q[:, full:]).view(np.uint8))
    return np.concatenate(parts).view(np.int8)


def _as_1x1(params: dict[str, Any]) -> dict[str, Any]:
    """A fully connected layer's params as those of the 1x1 convolution it is."""
    return {"groups": 1, "out_c": params["out_features"], "k_h": 1, "k_w": 1,
            "in_c": params["in_features"]}


# tq_fc_s8s4_mve's 16x sums stay below 2^31 for fewer inputs (tinyq.h).
FC_S4_MVE_MAX_IN = 1 << 17


def fc_s4_mve_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 [out_features][in_features] -> tq_fc_s8s4_mve's layout (tinyq.h): that
    of conv_s4_mve_layout for the 1x1 convolution it is (filter size in_features, out_c
    out_features). From FC_S4_MVE_MAX_IN inputs the kernel runs the reference: None."""
    if params["in_features"] >= FC_S4_MVE_MAX_IN:
        return None
    return conv_s4_mve_layout(_as_1x1(params), packed)


def fc_s4_dsp_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 [out_features][in_features] -> tq_fc_s8s4_dsp's layout (tinyq.h): that
    of conv_s4_dsp_layout for the 1x1 convolution the layer is."""
    return conv_s4_dsp_layout(_as_1x1(params), packed)


def conv_s4_scalar_layout(params: dict[str, Any], packed: np.ndarray) -> np.ndarray | None:
    """Packed int4 OHWI -> tq_conv2d_s8s4_scalar's layout (tinyq.h): each filter of an odd
    size gets a zero element after it, so every filter starts on a byte. None for even
    sizes (the packed bytes already are that) and grouped convolutions (the reference)."""
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    if params["groups"] != 1 or fsz % 2 == 0:
        return None
    out_c = params["out_c"]
    filters = np.zeros((out_c, fsz + 1), dtype=np.int8)
    filters[:, :fsz] = unpack_int4(packed, out_c * fsz).reshape(out_c, fsz)
    return pack_int4(filters)
