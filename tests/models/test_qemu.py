"""Firmware under QEMU, bit-exact with the simulator: every zoo model and the digits
example on Cortex-M4, Cortex-M55 and RV32 (the default suite), and on the other emulated
targets in the slow set. Also: every real board's firmware links and fits, a model too
big for a board fails saying by how much, and flash --dry-run commands."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tinyq.emu.build import build_firmware
from tinyq.errors import TinyqError
from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.targets import list_targets, load_target
from tinyq.zoo import ZOO, build

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
DEFAULT = ["qemu-m4", "qemu-m55", "qemu-rv32"]
SLOW = ["qemu-m3", "qemu-m7", "qemu-m33", "qemu-rv32v"]
BOARDS = [t.name for t in list_targets() if not t.emulated and t.arch != "host"]

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="cross toolchains missing: scripts/install_toolchains.sh")


@pytest.fixture(scope="module")
def zoo_projects(tmp_path_factory) -> dict[str, Project]:
    root = tmp_path_factory.mktemp("zoo_fw")
    projects = {}
    for name, entry in ZOO.items():
        rng = np.random.default_rng(1)
        calib = rng.standard_normal((16, *entry.input_shape[1:])).astype(np.float32)
        path = root / f"{name}.pt2"
        torch.export.save(torch.export.export(build(name), (torch.as_tensor(calib[:1]),)),
                          path)
        np.save(root / f"{name}_calib.npy", calib)
        convert_model(path, root / name, ConvertOptions(calib=root / f"{name}_calib.npy"))
        projects[name] = Project(root / name)
    return projects


def check_on(project: Project, target: str, n: int = 2) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, *project.sample_shape)).astype(np.float32)
    run = project.run_target(target, project.quantize_input(x))
    assert run.bit_exact, f"{target}: input {run.first_mismatch} differs"
    counts = run.instructions()
    assert len(counts) == n and all(c > 0 for c in counts)
    assert len(run.result.inferences[0].layers) == len(project.report["layers"])


@pytest.mark.parametrize("target", DEFAULT)
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_firmware_bit_exact(zoo_projects, name, target):
    check_on(zoo_projects[name], target)


@pytest.mark.slow
@pytest.mark.parametrize("target", SLOW)
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_firmware_bit_exact_other_cores(zoo_projects, name, target):
    check_on(zoo_projects[name], target)


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Project:
    out = tmp_path_factory.mktemp("digits_fw") / "proj"
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy", target="qemu-m4"))
    return Project(out)


@pytest.mark.parametrize("target", DEFAULT + SLOW)
def test_digits_firmware_on_every_emulated_core(digits, target):
    x = np.load(EXAMPLE / "test_x.npy")[:60]
    run = digits.run_target(target, digits.quantize_input(x))
    assert run.bit_exact
    counts = run.instructions()
    if target.startswith("qemu-m"):
        assert len(set(counts)) == 1  # straight-line integer code: input-independent


def test_counts_repeat_exactly(digits):
    xq = digits.quantize_input(np.load(EXAMPLE / "test_x.npy")[:3])
    a = digits.run_target("qemu-m4", xq)
    b = digits.run_target("qemu-m4", xq)
    assert [i.layers for i in a.result.inferences] == [i.layers for i in b.result.inferences]


@pytest.mark.parametrize("board", BOARDS)
def test_board_firmware_links_and_fits(digits, board):
    target = load_target(board)
    fw = build_firmware(digits.path, target, digits.path / "build" / board)
    assert fw.elf.is_file() and fw.bin.stat().st_size > 0
    assert fw.sizes.flash_total <= target.flash.size
    assert fw.sizes.ram_total <= target.ram.size
    assert fw.sizes.ram_arena >= digits.report["arena_bytes"]


def test_too_big_model_fails_with_the_overflow(zoo_projects, tmp_path):
    """MobileNetV2 whole-tensor does not fit the F446's 128 KiB of SRAM; the link says by
    how much. With patches (the default) the same model fits."""
    src = zoo_projects["mobilenet_v2"].path.parent
    whole = tmp_path / "whole"
    convert_model(src / "mobilenet_v2.pt2", whole,
                  ConvertOptions(calib=src / "mobilenet_v2_calib.npy", patch="off"))
    with pytest.raises(TinyqError, match=r"(?i)ram.*\d+ bytes|\d+ bytes.*ram"):
        build_firmware(whole, load_target("stm32f446"), whole / "build" / "f446")
    fw = build_firmware(zoo_projects["mobilenet_v2"].path, load_target("stm32f446"),
                        zoo_projects["mobilenet_v2"].path / "build" / "f446")
    assert fw.sizes.ram_total <= load_target("stm32f446").ram.size


@pytest.mark.parametrize("board,probe,words", [
    ("stm32f746", "pyocd", ["pyocd", "flash", "--target", "stm32f746nghx", "firmware.hex"]),
    ("stm32f746", "openocd", ["openocd", "board/stm32f746g-disco.cfg", "verify reset exit"]),
    ("stm32f746", "stlink", ["st-flash", "--reset", "write", "firmware.bin", "0x8000000"]),
    ("nrf52840", "pyocd", ["pyocd", "--target", "nrf52840"]),
    ("rp2040", "openocd", ["target/rp2040.cfg", "program"]),
    ("esp32c3", "esptool", ["esptool.py", "--chip", "esp32c3", "write_flash", "0x0"]),
])
def test_flash_dry_run_commands(cli_runner, digits, board, probe, words):
    r = cli_runner("flash", digits.path, "--target", board, "--probe", probe, "--dry-run")
    assert r.exit_code == 0, r.output
    for w in words:
        assert w in r.output


def test_flash_unsupported_probe_is_an_error(cli_runner, digits):
    r = cli_runner("flash", digits.path, "--target", "rp2040", "--probe", "stlink",
                   "--dry-run")
    assert r.exit_code == 1 and "rp2040" in r.output and "stlink" in r.output
    r = cli_runner("flash", digits.path, "--target", "qemu-m4", "--dry-run")
    assert r.exit_code == 1 and "emulated" in r.output
