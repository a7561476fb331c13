"""Which ISA variant of each kernel a target gets.

A variant of kernel K for ISA feature F is the file runtime_c/src/<family>/K_F.c defining
K_F with K's exact signature, params and results (DESIGN.md section 5). The generated
code names the variant through a macro chosen by the same feature test the variant file
is guarded by, so the target build calls K_F directly and a host build of the same
project (tinyq test) calls the portable K: both compute the same bits.

`--optimize speed` may bind K to another symbol of the same file (SPEED_SYMBOLS) that
reads its weights in a layout of its own (WEIGHT_LAYOUTS, e.g. pre-widened to int16):
model_c then emits that layout under the feature's #if and the reference layout under
#else, so the target's flash holds one copy and the host build still runs K.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyq.codegen.weight_layouts import (conv_s4_dsp_layout, conv_s4_mve_layout,
                                          conv_s4_scalar_layout,
                                          conv_s8_dsp_layout, conv_s16_dsp_layout,
                                          dw_s4_dsp_layout, fc_s4_dsp_layout,
                                          fc_s4_mve_layout)
from tinyq.ir import Graph, Node
from tinyq.ops import op_of
from tinyq.ops.base import Const, const_key

FEATURE_MACRO = {"dsp": "TQ_HAS_DSP", "mve": "TQ_HAS_MVE", "rvv": "TQ_HAS_RVV",
                 "scalar": "TQ_HAS_SCALAR"}
OPTIMIZE_MODES = ("size", "speed")
KERNEL_CHOICES = ("auto", "reference")  # --kernels: the target's variants, or none


def _conv_dsp_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_DSP_SCRATCH of tinyq.h: two pixels' windows, int8 and int16, and 16 bytes
    of requantization constants per output channel (grouped: none)."""
    if params["groups"] != 1:
        return 0
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    return 24 * -(-fsz // 4) + 16 * params["out_c"]


SCALAR_PATCH = 576  # TQ_SC_PATCH of tinyq.h


def _conv_scalar_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_SCALAR_SCRATCH of tinyq.h: two gathered windows of up to TQ_SC_PATCH
    bytes, each padded to an even length (grouped: none)."""
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    return 2 * (fsz + fsz % 2) if params["groups"] == 1 and fsz <= SCALAR_PATCH else 0


def _conv_mve_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_MVE_SCRATCH of tinyq.h: three pixels' windows and their int32 sums
    (grouped: none)."""
    if params["groups"] != 1:
        return 0
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    return 3 * ((fsz + 3) & ~3) + 12 * ((params["out_c"] + 3) & ~3)


def _dw_mve_scratch(params: dict[str, Any]) -> int:
    """TQ_DWCONV2D_MVE_SCRATCH of tinyq.h: three pixels' int32 sums and in_zp times each
    channel's weight sum (none where the kernel runs the reference: ch_mult != 1, in_c < 8,
    above 7x7)."""
    if params["ch_mult"] != 1 or params["in_c"] < 8 or params["k_h"] * params["k_w"] > 49:
        return 0
    return 16 * ((params["in_c"] + 3) & ~3)


def _dw_s4_mve_scratch(params: dict[str, Any]) -> int:
    """As int8's; odd channel counts run the reference (filters start mid-byte)."""
    return 0 if params["in_c"] % 2 else _dw_mve_scratch(params)


def _conv_s16_dsp_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_S8S16_DSP_SCRATCH of tinyq.h: as _conv_dsp_scratch with the filter padded
    to a multiple of 8 (grouped: none)."""
    if params["groups"] != 1:
        return 0
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    return 48 * -(-fsz // 8) + 16 * params["out_c"]


# --optimize speed: variant symbol -> the symbol of the same file bound instead.
SPEED_SYMBOLS = {"tq_conv2d_s8_dsp": "tq_conv2d_s8s16_dsp"}

# Symbols that read their `weights` in a layout of their own: (params, reference
# weights) -> the target's weights (or None: the reference layout).
WEIGHT_LAYOUTS: dict[str, Callable[[dict[str, Any], np.ndarray], np.ndarray | None]] = {
    "tq_conv2d_s8_dsp": conv_s8_dsp_layout,
    "tq_conv2d_s8s16_dsp": conv_s16_dsp_layout,
    "tq_conv2d_s8s4_dsp": conv_s4_dsp_layout,
    "tq_conv2d_s8s4_mve": conv_s4_mve_layout,
    "tq_dwconv2d_s8s4_dsp": dw_s4_dsp_layout,
    "tq_fc_s8s4_mve": fc_s4_mve_layout,
    "tq_fc_s8s4_dsp": fc_s4_dsp_layout,
    "tq_conv2d_s8s4_scalar": conv_s4_scalar_layout,
}

# Variants that take a trailing `scratch` argument (tinyq.h), and the bytes one call needs
# given its params. The planner gives each such call an arena region for its layer only.
SCRATCH_BYTES: dict[str, Callable[[dict[str, Any]], int]] = {
    "tq_conv2d_s8_dsp": _conv_dsp_scratch,
    "tq_conv2d_s8s16_dsp": _conv_s16_dsp_scratch,
    # TQ_CONV2D_S8S4_DSP_SCRATCH: int8's column, windows and requantization constants.
    "tq_conv2d_s8s4_dsp": _conv_dsp_scratch,
    "tq_conv2d_s8_scalar": _conv_scalar_scratch,
    "tq_conv2d_s8s4_scalar": _conv_scalar_scratch,
    "tq_conv2d_s8_mve": _conv_mve_scratch,
    # TQ_CONV2D_S8S4_MVE_SCRATCH: int8's windows and sums.
    "tq_conv2d_s8s4_mve": _conv_mve_scratch,
    "tq_dwconv2d_s8_mve": _dw_mve_scratch,
    "tq_dwconv2d_s8s4_mve": _dw_s4_mve_scratch,
}


# Reference sources of helpers rather than of one kernel named after the file: the
# functions their ISA variant file defines (each with the feature suffix, same signature).
HELPERS: dict[str, tuple[str, ...]] = {
    "movement/tq_rows_s8.c": ("tq_rows_commit",),  # in place by rows: the row copies
}


@dataclass(frozen=True)
class Variant:
    kernel: str
    feature: str
    source: str  # relative to runtime_c/src
    name: str = ""  # the symbol, if not <kernel>_<feature> (SPEED_SYMBOLS)

    @property
    def symbol(self) -> str:
        return self.name or f"{self.kernel}_{self.feature}"

    def weight_layout(self, params: dict[str, Any], weights: np.ndarray) -> np.ndarray | None:
        """The target's layout of a call's `weights`, or None when it is the reference's."""
        layout = WEIGHT_LAYOUTS.get(self.symbol)
        return None if layout is None else layout(params, weights)

    @property
    def macro(self) -> str:
        return self.kernel.upper()

    @property
    def takes_scratch(self) -> bool:
        return self.symbol in SCRATCH_BYTES

    def scratch_bytes(self, params: dict[str, Any]) -> int:
        return SCRATCH_BYTES[self.symbol](params) if self.takes_scratch else 0


def target_const(variant: Variant | None, param: str, params: dict[str, Any],
                 value: Const) -> tuple[tuple, np.ndarray | None]:
    """A call's constant as the target build holds it: its key for emitting equal arrays
    once, and the variant's own layout of it (None: the reference bytes). Only a call's
    `weights` param has variant layouts."""
    alt = (variant.weight_layout(params, value.data)
           if variant is not None and param == "weights" else None)
    return const_key(value) + ((variant.symbol,) if alt is not None else ()), alt


def select_variants(sources: list[str], features: tuple[str, ...], src_root: Path,
                    optimize: str = "size") -> dict[str, Variant]:
    """Reference sources used by the model -> {kernel: variant} for the target's features
    (the first feature listed wins when several variants exist); `optimize` "speed" takes
    the SPEED_SYMBOLS entry where there is one."""
    chosen: dict[str, Variant] = {}
    for rel in sources:
        path = Path(rel)
        for kernel in HELPERS.get(rel, (path.stem,)):
            for feature in features:
                candidate = path.with_name(f"{path.stem}_{feature}.c")
                if (src_root / candidate).is_file() and kernel not in chosen:
                    symbol = f"{kernel}_{feature}"
                    name = SPEED_SYMBOLS.get(symbol, "") if optimize == "speed" else ""
                    chosen[kernel] = Variant(kernel, feature, str(candidate), name)
    return chosen


def graph_variants(graph: Graph, features: tuple[str, ...], src_root: Path,
                   optimize: str = "size",
                   extra_sources: tuple[str, ...] = ()) -> dict[str, Variant]:
    """The variants a graph's kernels, and the helpers of `extra_sources`, get on a target
    with `features`."""
    sources = sorted({f for node in graph.nodes for f in op_of(node).kernel_sources}
                     | set(extra_sources))
    return select_variants(sources, features, src_root, optimize)


def scratch_key(node: Node) -> str:
    """The planner's name for a node's scratch region."""
    return f"{node.name}#scratch"


def scratch_needs(graph: Graph, variants: dict[str, Variant]) -> dict[str, int]:
    """node name -> scratch bytes its kernel calls need on this target (nonzero only)."""
    needs: dict[str, int] = {}
    for node in graph.nodes:
        op = op_of(node)
        if op.is_alias:
            continue
        size = max((variants[c.kernel].scratch_bytes(c.params) for c in op.emit(node, graph)
                    if c.kernel in variants), default=0)
        if size:
            needs[node.name] = size
    return needs


def selection_text(variants: dict[str, Variant]) -> str:
    """The #if block that binds each kernel's macro to its variant or its reference. A
    variant with scratch gets it as the macro's first argument, which the reference
    binding drops, so one call site serves both builds."""
    lines = []
    for v in sorted(variants.values(), key=lambda v: v.kernel):
        if v.takes_scratch:
            lines += [f"#if {FEATURE_MACRO[v.feature]}",
                      f"#define {v.macro}(scratch, ...) {v.symbol}(__VA_ARGS__, scratch)",
                      "#else", f"#define {v.macro}(scratch, ...) {v.kernel}(__VA_ARGS__)",
                      "#endif"]
        else:
            lines += [f"#if {FEATURE_MACRO[v.feature]}", f"#define {v.macro} {v.symbol}",
                      "#else", f"#define {v.macro} {v.kernel}", "#endif"]
    return "\n".join(lines) + ("\n" if lines else "")
