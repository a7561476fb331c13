"""The integer arithmetic of the C kernels, in numpy (int64 throughout).

Every function here mirrors runtime_c/src/tq_requant.h exactly: the product acc * mult is
at most 2^31 * 2^31 = 2^62, so int64 holds it and the rounding term, and numpy's >> on
signed integers is arithmetic like gcc's.
"""

from __future__ import annotations

import numpy as np


def requant(acc: np.ndarray, mult: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """(acc * mult + 2^(shift-1)) >> shift, elementwise with broadcasting."""
    acc = np.asarray(acc, dtype=np.int64)
    mult = np.asarray(mult, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (acc * mult + (np.int64(1) << (shift - 1))) >> shift


def clamp_s8(v: np.ndarray, lo: int = -128, hi: int = 127) -> np.ndarray:
    return np.clip(v, lo, hi).astype(np.int8)


def matmul_exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer matmul through float64 BLAS. Exact while every partial sum stays below 2^53:
    int8 x int8 products are < 2^14, so that holds for reductions up to 2^39 terms."""
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
