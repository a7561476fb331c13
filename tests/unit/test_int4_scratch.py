"""int4 weights cost the arena no more than int8: every int4 (s8s4) kernel variant that
takes scratch needs at most its int8 twin's bytes for the same call, over a grid of
convolution and depthwise shapes (kernel sizes, odd and even channel counts, groups)."""

from __future__ import annotations

import itertools

import pytest

from tinyq.codegen.variants import SCRATCH_BYTES

INT4 = sorted(s for s in SCRATCH_BYTES if "_s8s4_" in s)


def params_grid():
    for k, in_c, out_c, groups, mult in itertools.product(
            (1, 3, 5, 7), (1, 2, 3, 8, 13, 16, 33, 64), (1, 3, 8, 17), (1, "dw"), (1, 2)):
        g = in_c if groups == "dw" else 1
        yield {"k_h": k, "k_w": k, "in_c": in_c, "out_c": out_c if g == 1 else in_c * mult,
               "groups": g, "ch_mult": mult, "stride_h": 1, "stride_w": 1, "in_w": 20,
               "in_h": 20, "out_w": 20, "out_h": 20, "dil_h": 1, "dil_w": 1, "pad_top": k // 2,
               "pad_left": k // 2}


def test_every_int4_scratch_variant_has_an_int8_twin():
    assert INT4  # the DSP, scalar and MVE convolutions and the MVE depthwise at least
    for symbol in INT4:
        assert symbol.replace("_s8s4_", "_s8_") in SCRATCH_BYTES, symbol


@pytest.mark.parametrize("symbol", INT4)
def test_int4_scratch_at_most_int8(symbol):
    int8 = SCRATCH_BYTES[symbol.replace("_s8s4_", "_s8_")]
    for params in params_grid():
        assert SCRATCH_BYTES[symbol](params) <= int8(params), (symbol, params)
