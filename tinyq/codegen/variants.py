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

FEATURE_MACRO = {"dsp": "TQ_HAS_DSP", "mve": "TQ_HAS_MVE", "rvv": "TQ_HAS_RVV"}


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


def select_variants(sources: list[str], features: tuple[str, ...],
                    src_root: Path) -> dict[str, Variant]:
    """Reference sources used by the model -> {kernel: variant} for the target's features
    (the first feature listed wins when several variants exist)."""
    chosen: dict[str, Variant] = {}
    for rel in sources:
        path = Path(rel)
        kernel = path.stem
        for feature in features:
            candidate = path.with_name(f"{kernel}_{feature}.c")
            if (src_root / candidate).is_file() and kernel not in chosen:
                chosen[kernel] = Variant(kernel, feature, str(candidate))
    return chosen


def selection_text(variants: dict[str, Variant]) -> str:
    """The #if block that binds each kernel's macro to its variant or its reference."""
    lines = []
    for v in sorted(variants.values(), key=lambda v: v.kernel):
        lines += [f"#if {FEATURE_MACRO[v.feature]}", f"#define {v.macro} {v.symbol}",
                  "#else", f"#define {v.macro} {v.kernel}", "#endif"]
    return "\n".join(lines) + ("\n" if lines else "")
