"""Activation range observers: calibration batches in, per-tensor QParams out.

  - minmax: the observed range.
  - percentile: the 0.01 / 99.99 percentiles of the values seen (outliers clipped).
  - mse: the clipping of the observed range that minimises the mean squared
    quantize-dequantize error over the values seen (grid search).
  - kl: the clipping that minimises the KL divergence between the values' distribution
    (a fine histogram over the candidate's levels, clipped values in the edge bins) and
    that distribution after quantization (each level's mass spread over its bins): the
    entropy calibration of TensorRT, on an asymmetric grid.
Percentile, MSE and KL keep a bounded, seeded random sample of each tensor's values, so
memory stays flat on large calibration sets. Every range is widened to contain 0, which
then has an exact integer zero point.
"""

from __future__ import annotations

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import QParams

METHODS = ("minmax", "percentile", "mse", "kl")
SAMPLE_CAP = 1 << 18
MIN_SCALE = 1e-8


def qparams_from_range(lo: float, hi: float) -> QParams:
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = max((hi - lo) / 255.0, MIN_SCALE)
    zp = int(np.clip(np.floor(-128.0 - lo / scale + 0.5), -128, 127))
    return QParams(scale, zp)


KL_BINS_PER_LEVEL = 8
KL_FLOOR = 1e-4


def kl_divergence(values: np.ndarray, q: QParams) -> float:
    """KL(P || Q) for one candidate range, as TensorRT's entropy calibration: a histogram
    over the candidate's 256 level cells, KL_BINS_PER_LEVEL fine bins a cell (every
    candidate judged at the same resolution). P holds every value, the clipped ones piled
    into the edge bins; Q is built from the values inside the range only, each cell's mass
    spread evenly over its nonzero bins (what quantization keeps of them). Clipping much
    mass thus costs: P has it at the edge, Q does not."""
    s = q.scale
    a = q.dequantize(np.int8(-128)) - s / 2
    n = 256 * KL_BINS_PER_LEVEL
    pos = np.floor((values.astype(np.float64) - a) / (256 * s) * n)
    inside = (pos >= 0) & (pos < n)
    p = np.bincount(np.clip(pos, 0, n - 1).astype(np.int64), minlength=n).astype(np.float64)
    kept = np.bincount(pos[inside].astype(np.int64), minlength=n).astype(np.float64)
    cells = kept.reshape(256, KL_BINS_PER_LEVEL)
    support = (cells > 0).sum(axis=1, keepdims=True)
    share = np.divide(cells.sum(axis=1, keepdims=True), support,
                      out=np.zeros((256, 1)), where=support > 0)
    qd = np.where(cells > 0, share, 0.0).reshape(-1)
    p /= p.sum()
    if qd.sum() == 0:
        return np.inf
    qd /= qd.sum()
    # Bins Q leaves empty where P is not (clipped piles) get a small floor instead of an
    # infinite cost, as in TensorRT: clipping a few outliers must stay possible.
    qd = np.where((qd == 0) & (p > 0), KL_FLOOR, qd)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / qd[nz])))


class Observer:
    def __init__(self, method: str, seed: int = 0) -> None:
        if method not in METHODS:
            raise TinyqError(f"--calib-method '{method}' unknown; choose from "
                             f"{', '.join(METHODS)}")
        self.method = method
        self.lo = np.inf
        self.hi = -np.inf
        self.samples: list[np.ndarray] = []
        self.count = 0
        self.rng = np.random.default_rng(seed)

    def update(self, x: torch.Tensor) -> None:
        flat = x.detach().reshape(-1)
        self.lo = min(self.lo, float(flat.min()))
        self.hi = max(self.hi, float(flat.max()))
        if self.method == "minmax":
            return
        values = flat.numpy()
        if values.size > SAMPLE_CAP // 4:
            values = self.rng.choice(values, SAMPLE_CAP // 4, replace=False)
        self.samples.append(values.astype(np.float32))
        self.count += values.size
        if self.count > 2 * SAMPLE_CAP:
            pool = np.concatenate(self.samples)
            self.samples = [self.rng.choice(pool, SAMPLE_CAP, replace=False)]
            self.count = SAMPLE_CAP

    def qparams(self) -> QParams:
        if not np.isfinite(self.lo) or not np.isfinite(self.hi):
            raise TinyqError("calibration produced non-finite activations (NaN or Inf); "
                             "check the calibration data and the model")
        if self.method == "minmax":
            return qparams_from_range(self.lo, self.hi)
        values = np.concatenate(self.samples)
        if self.method == "percentile":
            lo, hi = np.percentile(values, [0.01, 99.99])
            return qparams_from_range(lo, hi)
        if self.method == "kl":
            return self.kl_qparams(values)
        return self.mse_qparams(values)

    def kl_qparams(self, values: np.ndarray) -> QParams:
        best, best_kl = qparams_from_range(self.lo, self.hi), np.inf
        for ratio in np.linspace(0.3, 1.0, 36):
            q = qparams_from_range(self.lo * ratio, self.hi * ratio)
            kl = kl_divergence(values, q)
            if kl < best_kl:
                best, best_kl = q, kl
        return best

    def mse_qparams(self, values: np.ndarray) -> QParams:
        best, best_err = qparams_from_range(self.lo, self.hi), np.inf
        for ratio in np.linspace(0.3, 1.0, 36):
            q = qparams_from_range(self.lo * ratio, self.hi * ratio)
            err = float(np.mean((q.dequantize(q.quantize(values)) - values) ** 2))
            if err < best_err:
                best, best_err = q, err
        return best
