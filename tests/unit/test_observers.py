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
        Observer("entropy")
    obs = Observer("minmax")
    obs.update(torch.tensor([float("nan"), 1.0]))
    with pytest.raises(TinyqError, match="non-finite"):
        obs.qparams()


def test_kl_clips_a_heavy_tail_and_keeps_the_bulk():
    """Laplace values with rare huge outliers: KL clips far inside min/max, yet the
    clipped range still covers the bulk (99th percentile) of the distribution."""
    torch.manual_seed(2)
    x = torch.distributions.Laplace(0.0, 1.0).sample((100000,))
    x[:5] = torch.tensor([60.0, -55.0, 70.0, 40.0, -45.0])
    mm, kl = Observer("minmax"), Observer("kl")
    mm.update(x)
    kl.update(x)
    q = kl.qparams()
    hi = q.dequantize(np.int8(127))
    assert q.scale < mm.qparams().scale / 2
    assert hi >= np.percentile(x.numpy(), 99)


def test_kl_of_a_constant_tensor_is_well_defined():
    obs = Observer("kl")
    obs.update(torch.zeros(100))
    assert obs.qparams().scale > 0
