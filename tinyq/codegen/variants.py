"""Which ISA variant of each kernel a target gets.

A variant of kernel K for ISA feature F is the file runtime_c/src/<family>/K_F.c defining
K_F with K's exact signature, params and results (DESIGN.md section 5). The generated
code names the variant through a macro chosen by the same feature test the variant file
is guarded by, so the target build calls K_F directly and a host build of the same
project (tinyq test) calls the portable K: both compute the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tinyq.ir import Graph, Node
from tinyq.ops import op_of

FEATURE_MACRO = {"dsp": "TQ_HAS_DSP", "mve": "TQ_HAS_MVE", "rvv": "TQ_HAS_RVV"}


def _conv_dsp_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_DSP_SCRATCH of tinyq.h: two pixels' windows, int8 and int16 (grouped:
    none)."""
    if params["groups"] != 1:
        return 0
    return 24 * -(-params["k_h"] * params["k_w"] * params["in_c"] // 4)


def _conv_s4_dsp_scratch(params: dict[str, Any]) -> int:
    """TQ_CONV2D_S8S4_DSP_SCRATCH of tinyq.h: an int16 two-pixel column of g groups of 8
    and two int8 windows of g groups; odd filter sizes a second column and a word before
    each window (grouped: none)."""
    if params["groups"] != 1:
        return 0
    fsz = params["k_h"] * params["k_w"] * params["in_c"]
    return 80 * ((fsz + 8) // 8) + 8 if fsz % 2 else 48 * ((fsz + 7) // 8)


# Variants that take a trailing `scratch` argument (tinyq.h), and the bytes one call needs
# given its params. The planner gives each such call an arena region for its layer only.
SCRATCH_BYTES: dict[str, Callable[[dict[str, Any]], int]] = {
    "tq_conv2d_s8_dsp": _conv_dsp_scratch,
    "tq_conv2d_s8s4_dsp": _conv_s4_dsp_scratch,
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

    @property
    def symbol(self) -> str:
        return f"{self.kernel}_{self.feature}"

    @property
    def macro(self) -> str:
        return self.kernel.upper()

    @property
    def takes_scratch(self) -> bool:
        return self.symbol in SCRATCH_BYTES

    def scratch_bytes(self, params: dict[str, Any]) -> int:
        return SCRATCH_BYTES[self.symbol](params) if self.takes_scratch else 0


def select_variants(sources: list[str], features: tuple[str, ...],
                    src_root: Path) -> dict[str, Variant]:
    """Reference sources used by the model -> {kernel: variant} for the target's features
    (the first feature listed wins when several variants exist)."""
    chosen: dict[str, Variant] = {}
    for rel in sources:
        path = Path(rel)
        for kernel in HELPERS.get(rel, (path.stem,)):
            for feature in features:
                candidate = path.with_name(f"{path.stem}_{feature}.c")
                if (src_root / candidate).is_file() and kernel not in chosen:
                    chosen[kernel] = Variant(kernel, feature, str(candidate))
    return chosen


def graph_variants(graph: Graph, features: tuple[str, ...], src_root: Path,
                   extra_sources: tuple[str, ...] = ()) -> dict[str, Variant]:
    """The variants a graph's kernels, and the helpers of `extra_sources`, get on a target
    with `features`."""
    sources = sorted({f for node in graph.nodes for f in op_of(node).kernel_sources}
                     | set(extra_sources))
    return select_variants(sources, features, src_root)


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
