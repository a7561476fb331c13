"""Every op that emits C has its four places: op module, reference kernel file, prototype
in tinyq.h, and a tests/ops/test_<op>.py."""

from __future__ import annotations

from pathlib import Path

import pytest

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
