"""Real multipliers -> dyadic numbers b / 2^c, the only rescale the integer path knows.

For M > 0 write M = m * 2^e with m in [0.5, 1) (frexp). Then b = round(m * 2^31) lies in
[2^30, 2^31] and c = 31 - e, so M ~= b / 2^c with a relative error below 2^-31. b == 2^31
(m rounded up to 1) is renormalised to 2^30 with c - 1. The kernels compute
(acc * b + 2^(c-1)) >> c with a 64-bit product, so c must lie in [1, 62]:
  - c > 62 (M < 2^-32): b is shifted right to keep c = 62; the multiplier is then so
    small that every int32 accumulator maps to 0 or +-1 either way;
  - c < 1 (M >= 2^30): no sensible int8 model gets there; it is an error.
M == 0 gives b = 0, c = 1 (the output is the zero point).
"""

from __future__ import annotations

import math

import numpy as np

from tinyq.errors import TinyqError

MAX_SHIFT = 62


def dyadic(m: float) -> tuple[int, int]:
    """One non-negative real multiplier -> (b, c) with M ~= b / 2^c."""
    if not math.isfinite(m) or m < 0:
        raise TinyqError(f"cannot represent multiplier {m!r} as a dyadic number")
    if m == 0.0:
        return 0, 1
    frac, exp = math.frexp(m)
    b = int(round(frac * (1 << 31)))
    c = 31 - exp
    if b == 1 << 31:
        b >>= 1
        c -= 1
    if c < 1:
        raise TinyqError(f"multiplier {m:g} is too large for int8 requantization")
    if c > MAX_SHIFT:
        b >>= c - MAX_SHIFT
        c = MAX_SHIFT
        if b == 0:
            return 0, 1
    return b, c


def dyadic_array(ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel multipliers -> (int32 b[], int8 c[])."""
    pairs = [dyadic(float(m)) for m in np.asarray(ms, dtype=np.float64).ravel()]
    b = np.array([p[0] for p in pairs], dtype=np.int32)
    c = np.array([p[1] for p in pairs], dtype=np.int8)
    return b, c


def dyadic_common(ms: list[float]) -> tuple[list[int], int]:
    """Several multipliers sharing one shift (add): the largest gets the full 31 bits of
    precision, the others the same shift, b_i = round(M_i * 2^c)."""
    top = max(ms)
    if top <= 0:
        return [0] * len(ms), 1
    _, c = dyadic(top)
    bs = [int(round(m * (1 << c))) for m in ms]
    while max(bs) >= 1 << 31:
        c -= 1
        bs = [int(round(m * (1 << c))) for m in ms]
    if c < 1:
        raise TinyqError(f"multipliers {ms} are too large for int8 requantization")
    return bs, c
