"""Every op that emits C has its four places: op module, reference kernel file, prototype
in tinyq.h, and a tests/ops/test_<op>.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyq.codegen.variants import HELPERS
from tinyq.ops import OPS

REPO = Path(__file__).resolve().parents[2]
HEADER = (REPO / "runtime_c" / "include" / "tinyq.h").read_text()
NO_KERNEL = {"batchnorm", "identity", "reshape"}  # folded away or memory aliases


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_has_all_four_places(name):
    op = OPS[name]
    assert (REPO / "tinyq" / "ops" / f"{name}.py").is_file()
    if name in NO_KERNEL:
        assert not op.kernel_sources
        return
    assert op.kernel_sources, f"{name} names no runtime source"
    for src in op.kernel_sources:
        path = REPO / "runtime_c" / "src" / src
        assert path.is_file(), f"{name}: {path} missing"
        symbol = path.stem
        assert f" {symbol}(" in HEADER, f"{symbol} has no prototype in tinyq.h"
    assert (REPO / "tests" / "ops" / f"test_{name}.py").is_file()


@pytest.mark.parametrize("variant", sorted(p.relative_to(REPO / "runtime_c" / "src").as_posix()
                                           for p in (REPO / "runtime_c" / "src").rglob("*_*.c")
                                           if p.stem.rsplit("_", 1)[-1] in ("dsp", "mve",
                                                                             "rvv")))
def test_isa_variant_has_reference_prototype_and_guard(variant):
    path = REPO / "runtime_c" / "src" / variant
    reference = path.with_name(path.stem.rsplit("_", 1)[0] + ".c")
    assert reference.is_file(), f"{variant} has no reference kernel {reference.name}"
    isa = path.stem.rsplit("_", 1)[-1].upper()
    helpers = HELPERS.get(reference.relative_to(REPO / "runtime_c" / "src").as_posix(), ())
    for symbol in [f"{h}_{isa.lower()}" for h in helpers] or [path.stem]:
        assert f" {symbol}(" in HEADER, f"{symbol} has no prototype in tinyq.h"
    assert f"#if TQ_HAS_{isa}" in path.read_text(), f"{variant} is not guarded by TQ_HAS_{isa}"
