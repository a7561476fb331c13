"""Fixtures for target tests: the hand-written fake model project (fixture/) copied into a
temporary directory with the runtime header, its numpy reference, and skips that name what
is missing when a toolchain, QEMU or the plugin header is not installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tinyq.emu.plugin import HEADER_DIRS
from tinyq.targets import Target

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixture"
OFFSETS = np.array([3, -7, 11, -13, 17, -19, 23, -29, 31, -37, 41, -43, 47, -53, 59, -61],
                   dtype=np.int32)
INPUT_SIZE, OUTPUT_SIZE = 64, 16
KNOWN_LOOP_INSTRUCTIONS = 201  # fixture/model.c layer 2: 1 set-up + 100 x (decrement, branch)
INSTALL = "run scripts/install_toolchains.sh"


def reference(x: np.ndarray) -> np.ndarray:
    """fixture/model.c in numpy: int8 (n, 64) -> int8 (n, 16)."""
    a = (x.astype(np.int32) * 3 + np.tile(OFFSETS, 4)).astype(np.int8)
    return (a.astype(np.int32).reshape(len(x), OUTPUT_SIZE, 4).sum(-1) >> 2).astype(np.int8)


def make_project(dest: Path) -> Path:
    """The fixture as a project directory laid out like the converter's output."""
    shutil.copytree(FIXTURE, dest)
    (dest / "runtime" / "include").mkdir(parents=True)
    shutil.copy(REPO / "runtime_c" / "include" / "tinyq.h", dest / "runtime" / "include")
    return dest


def skip_without_toolchain(target: Target) -> None:
    gcc = target.tool("gcc")
    if shutil.which(gcc) is None:
        pytest.skip(f"{gcc} not installed ({INSTALL})")


def skip_without_qemu(target: Target) -> None:
    skip_without_toolchain(target)
    assert target.qemu is not None
    if shutil.which(target.qemu.binary) is None:
        pytest.skip(f"{target.qemu.binary} not installed ({INSTALL})")
    if not any((d / "qemu-plugin.h").is_file() for d in HEADER_DIRS):
        pytest.skip(f"qemu-plugin.h not installed ({INSTALL})")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no host C compiler to build the QEMU plugin")


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("fixture") / "proj")


@pytest.fixture(scope="session")
def inputs() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(-128, 128, (5, INPUT_SIZE)).astype(np.int8)
