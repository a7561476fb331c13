"""Dyadic multipliers b / 2^c and the requantization rule, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinyq.errors import TinyqError
from tinyq.quant.dyadic import dyadic, dyadic_common
from tinyq.sim.arith import requant


@given(st.floats(min_value=1e-9, max_value=1e8, allow_nan=False))
def test_dyadic_is_normalised_and_close(m):
    b, c = dyadic(m)
    assert 1 <= c <= 62
    if c < 62:
        assert (1 << 30) <= b < (1 << 31)
        assert abs(b / 2.0**c - m) <= m * 2.0**-30
    assert b / 2.0**c <= m * (1 + 2.0**-30)


def test_dyadic_edge_cases():
    assert dyadic(0.0) == (0, 1)
    assert dyadic(0.5) == (1 << 30, 31)
    assert dyadic(1.0) == (1 << 30, 30)
    assert dyadic(1e-30) == (0, 1)  # below 2^-62: every accumulator maps to zero
    with pytest.raises(TinyqError):
        dyadic(float("nan"))
    with pytest.raises(TinyqError):
        dyadic(2.0**31)


def test_requant_rounds_half_up_with_arithmetic_shift():
    # M = 1/2: -3 * 1/2 = -1.5 rounds up to -1, 3 * 1/2 = 1.5 rounds up to 2.
    b, c = dyadic(0.5)
    got = requant(np.array([-3, -2, -1, 0, 1, 2, 3]), b, c)
    assert got.tolist() == [-1, -1, 0, 0, 1, 1, 2]


@given(st.integers(-(2**31) + 1, 2**31 - 1), st.floats(1e-6, 100.0))
def test_requant_matches_exact_rational(acc, m):
    b, c = dyadic(m)
    want = math.floor((acc * b) / (1 << c) + 0.5) if c < 62 else None
    got = int(requant(np.array([acc]), b, c)[0])
    exact = (acc * b + (1 << (c - 1))) >> c  # Python big integers: no overflow at all
    assert got == exact
    if want is not None:
        assert got == want


def test_common_shift_keeps_both_multipliers():
    (b1, b2), c = dyadic_common([0.75, 0.1])
    assert b1 < (1 << 31) and b2 < (1 << 31)
    assert abs(b1 / 2.0**c - 0.75) < 1e-9 and abs(b2 / 2.0**c - 0.1) < 1e-9
