"""Observers: ranges contain zero, percentile clips outliers, MSE never worse than min/max
on the values it saw."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tinyq.errors import TinyqError
from tinyq.quant.observers import Observer, qparams_from_range


def test_range_always_contains_zero():
    q = qparams_from_range(2.0, 4.0)
    assert q.zero_point == -128
    assert q.dequantize(np.int8(-128)) == 0.0
    q = qparams_from_range(-3.0, -1.0)
    assert q.zero_point == 127


def test_percentile_clips_an_outlier():
    x = torch.randn(100000, generator=torch.Generator().manual_seed(0))
    x[0] = 1000.0
    mm, pc = Observer("minmax"), Observer("percentile")
    mm.update(x)
    pc.update(x)
    assert pc.qparams().scale < mm.qparams().scale / 50


def test_mse_not_worse_than_minmax():
    x = torch.randn(50000, generator=torch.Generator().manual_seed(1)) ** 3
    mm, mse = Observer("minmax"), Observer("mse")
    mm.update(x)
    mse.update(x)
    v = x.numpy()

    def err(q):
        return np.mean((q.dequantize(q.quantize(v)) - v) ** 2)

    assert err(mse.qparams()) <= err(mm.qparams())


def test_unknown_method_and_nan_are_errors():
    with pytest.raises(TinyqError, match="--calib-method"):
        Observer("kl")
    obs = Observer("minmax")
    obs.update(torch.tensor([float("nan"), 1.0]))
    with pytest.raises(TinyqError, match="non-finite"):
        obs.qparams()
