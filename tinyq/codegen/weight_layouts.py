"""Weight layouts of ISA kernel variants that read their weights in an order of their own.

Each function takes a call's params and its reference weights (the array the portable
kernel reads: OHWI int8, or OHWI int4 packed two per byte) and gives the bytes the variant
reads, or None when they are the reference bytes. model_c emits the variant's bytes under
the feature's #if and the reference bytes under #else (codegen/variants.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np


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
    """Packed int4 OHWI -> tq_conv2d_s8s4_dsp's layout (tinyq.h): each filter of an odd
    size followed by a 0 nibble, so every filter starts at a byte. Even sizes and grouped
    convolutions are the reference layout already: None."""
    fsz = params["k_h"] * params["k_w"] * params["in_c"] // params["groups"]
    if params["groups"] != 1 or fsz % 2 == 0:
        return None
    out_c = params["out_c"]
    data = packed.view(np.uint8)
    nibbles = np.stack([data & 15, data >> 4], axis=1).reshape(-1)
    filters = np.zeros((out_c, fsz + 1), dtype=np.uint8)
    filters[:, :fsz] = nibbles[:out_c * fsz].reshape(out_c, fsz)
    pairs = filters.reshape(-1, 2)
    return (pairs[:, 0] | (pairs[:, 1] << 4)).astype(np.uint8).view(np.int8)
