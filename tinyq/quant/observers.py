"""Activation range observers: calibration batches in, per-tensor QParams out.

  - minmax: the observed range.
  - percentile: the 0.01 / 99.99 percentiles of the values seen (outliers clipped).
  - mse: the clipping of the observed range that minimises the mean squared
    quantize-dequantize error over the values seen (grid search).
Percentile and MSE keep a bounded, seeded random sample of each tensor's values, so
memory stays flat on large calibration sets. Every range is widened to contain 0, which
then has an exact integer zero point.
"""

from __future__ import annotations

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.ir import QParams

METHODS = ("minmax", "percentile", "mse")
SAMPLE_CAP = 1 << 18
MIN_SCALE = 1e-8


def qparams_from_range(lo: float, hi: float) -> QParams:
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = max((hi - lo) / 255.0, MIN_SCALE)
    zp = int(np.clip(np.floor(-128.0 - lo / scale + 0.5), -128, 127))
    return QParams(scale, zp)


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
        return self.mse_qparams(values)

    def mse_qparams(self, values: np.ndarray) -> QParams:
        best, best_err = qparams_from_range(self.lo, self.hi), np.inf
        for ratio in np.linspace(0.3, 1.0, 36):
            q = qparams_from_range(self.lo * ratio, self.hi * ratio)
            err = float(np.mean((q.dequantize(q.quantize(values)) - values) ** 2))
            if err < best_err:
                best, best_err = q, err
        return best
