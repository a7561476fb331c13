"""Firmware for every target from the fake model project (fixture/): builds that link for
each board's memory map, runs under QEMU on every emulated target with the outputs checked
against numpy, the exit status passed through, and instruction counts that are exact (a
hand-written loop of known length) and repeatable. Skipped, with the reason, when a
toolchain, QEMU or the plugin header is missing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests.targets.conftest import (INPUT_SIZE, KNOWN_LOOP_INSTRUCTIONS, OUTPUT_SIZE,
                                    make_project, reference, skip_without_qemu,
                                    skip_without_toolchain)
from tinyq.emu.build import Firmware, build_firmware
from tinyq.emu.qemu import run_firmware
from tinyq.errors import TinyqError
from tinyq.targets import QemuConfig, Target, list_targets, load_target

EMULATED = [t for t in list_targets() if t.emulated]
BOARDS = [t for t in list_targets() if not t.emulated and t.arch != "host"]
pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def firmware(project: Path, tmp_path_factory: pytest.TempPathFactory):
    """Build each target's firmware once per module (semihosting inputs where it has them)."""
    built: dict[str, Firmware] = {}

    def get(target: Target) -> Firmware:
        if target.name not in built:
            out = tmp_path_factory.mktemp(target.name)
            built[target.name] = build_firmware(project, target, out)
        return built[target.name]

    return get


def run(fw: Firmware, x: np.ndarray, **kwargs):
    return run_firmware(fw.elf, fw.target, x, OUTPUT_SIZE, timeout=60, **kwargs)


@pytest.mark.parametrize("target", EMULATED, ids=lambda t: t.name)
def test_runs_bit_exact_with_exact_repeatable_counts(target: Target, firmware,
                                                     inputs: np.ndarray) -> None:
    skip_without_qemu(target)
    fw = firmware(target)
    first, second = run(fw, inputs), run(fw, inputs)
    assert first.exit_code == 0, first.exit_message + first.stderr
    np.testing.assert_array_equal(first.outputs, reference(inputs))
    assert len(first.inferences) == len(inputs)
    for inference in first.inferences:
        assert len(inference.layers) == 3
        assert inference.layers[2] == KNOWN_LOOP_INSTRUCTIONS
        assert sum(inference.layers) < inference.instructions
    # the model does the same work for every input, and a second run counts the same
    assert len(set(first.inferences)) == 1
    assert second.inferences == first.inferences
    assert second.total_instructions == first.total_instructions


@pytest.mark.parametrize("target", EMULATED, ids=lambda t: t.name)
def test_block_counting_equals_per_instruction_counting(target: Target, firmware,
                                                        inputs: np.ndarray) -> None:
    skip_without_qemu(target)
    fw = firmware(target)
    tb, insn = run(fw, inputs[:2]), run(fw, inputs[:2], count_mode="insn")
    assert tb.inferences == insn.inferences
    assert tb.total_instructions == insn.total_instructions


@pytest.mark.parametrize("name", ["qemu-m4", "qemu-rv32"])
def test_embedded_inputs_give_the_same_outputs(name: str, project: Path, tmp_path: Path,
                                               inputs: np.ndarray) -> None:
    target = load_target(name)
    skip_without_qemu(target)
    fw = build_firmware(project, target, tmp_path, inputs=inputs)
    assert fw.embedded_inputs == len(inputs)
    result = run_firmware(fw.elf, target, None, OUTPUT_SIZE)
    assert result.exit_code == 0
    np.testing.assert_array_equal(result.outputs, reference(inputs))


@pytest.mark.parametrize("name", ["qemu-m4", "qemu-m55", "qemu-rv32", "qemu-m0plus"])
def test_exit_status_comes_back(name: str, firmware, inputs: np.ndarray) -> None:
    target = load_target(name)
    skip_without_qemu(target)
    fw = firmware(target)
    failing = inputs.copy()
    failing[2, :2] = (127, -128)  # the fixture's hook: returns TQ_ERR_NULL_POINTER
    result = run(fw, failing)
    assert result.exit_code == 3 and "NULL" in result.exit_message
    np.testing.assert_array_equal(result.outputs, reference(inputs[:2]))
    crashing = inputs.copy()
    crashing[1, :2] = (127, 127)  # the fixture's hook: an undefined instruction
    result = run(fw, crashing)
    assert result.exit_code == 99 and "fault" in result.exit_message
    assert len(result.inferences) == 1
    assert run(fw, inputs[:, :-1].copy()).exit_code == 12  # tq_in.bin ends mid-input


def test_m0plus_twin_runs_armv6m_code_like_the_rp2040(firmware) -> None:
    """qemu-m0plus counts what an M0+ would run: its objects are ARMv6-M (the M3 under it
    never sees a Thumb-2 instruction but the markers), compiled with the rp2040's flags."""
    import subprocess

    twin, board = load_target("qemu-m0plus"), load_target("rp2040")
    skip_without_qemu(twin)
    assert twin.arch_flags == board.arch_flags and twin.isa_features == board.isa_features
    fw = firmware(twin)
    assert fw.markers
    attributes = subprocess.run([twin.tool("readelf"), "-A", str(fw.elf)], check=True,
                                capture_output=True, text=True).stdout
    assert "Tag_CPU_arch: v6S-M" in attributes and "Tag_THUMB_ISA_use: Thumb-1" in attributes


def test_without_markers_there_are_no_regions(project: Path, tmp_path: Path,
                                              inputs: np.ndarray) -> None:
    target = load_target("qemu-m4")
    skip_without_qemu(target)
    fw = build_firmware(project, target, tmp_path, markers=False)
    result = run_firmware(fw.elf, target, inputs, OUTPUT_SIZE)
    assert result.exit_code == 0 and result.inferences == ()
    assert result.total_instructions is not None and result.total_instructions > 0


@pytest.mark.parametrize("target", BOARDS, ids=lambda t: t.name)
def test_board_firmware_links_for_its_memory_map(target: Target, project: Path,
                                                 tmp_path: Path, inputs: np.ndarray) -> None:
    skip_without_toolchain(target)
    fw = build_firmware(project, target, tmp_path, inputs=inputs)
    assert fw.elf.is_file() and fw.hex.is_file() and not fw.markers
    # one flash image: every byte counted once, plus alignment padding between sections
    assert 0 <= fw.bin.stat().st_size - fw.sizes.flash_total < 64
    for section in fw.sizes.sections:
        where = target.ram if section.name in (".data", ".bss", ".tq_arena", ".stack") \
            else target.flash
        if target.name == "esp32c3" and section.name in (".tq_weights", ".rodata"):
            continue  # seen through the data window at 0x3c000000 (ld/esp32c3.ld)
        assert where is not None
        assert where.origin <= section.address <= where.end - section.size, section
    assert fw.sizes.ram_arena == 64 and fw.sizes.ram_stack == target.stack_size
    assert fw.sizes.flash_weights == 16


def test_rp2040_image_starts_with_boot2_and_its_crc(project: Path, tmp_path: Path) -> None:
    from tinyq.emu.build import rp2040_crc32

    target = load_target("rp2040")
    skip_without_toolchain(target)
    image = build_firmware(project, target, tmp_path).bin.read_bytes()
    assert int.from_bytes(image[252:256], "little") == rp2040_crc32(image[:252])
    stack, reset = (int.from_bytes(image[256 + i:260 + i], "little") for i in (0, 4))
    flash, ram = target.flash, target.ram
    assert flash is not None and ram is not None
    assert ram.origin < stack <= ram.end
    assert flash.origin < reset < flash.end and reset & 1  # Thumb


def oversized(dest: Path, arena: int = 64, weights: int = 16) -> Path:
    """The fixture with a bigger arena or weight table (the model reads its first 16)."""
    proj = make_project(dest)
    for name, old, new in (("model.h", "ARENA_SIZE 64", f"ARENA_SIZE {arena}"),
                           ("model_weights.h", "[16]", f"[{weights}]"),
                           ("model_weights.c", "[16]", f"[{weights}]")):
        path = proj / name
        path.write_text(path.read_text().replace(old, new))
    return proj


@pytest.mark.parametrize("memory, kwargs, excess", [
    ("ram", {"arena": 200 * 1024}, 200 * 1024 - 128 * 1024),
    ("flash", {"weights": 600 * 1024}, 600 * 1024 - 512 * 1024)])
def test_too_big_says_which_memory_and_by_how_much(memory: str, kwargs: dict, excess: int,
                                                   tmp_path: Path) -> None:
    target = load_target("stm32f446")
    skip_without_toolchain(target)
    with pytest.raises(TinyqError, match=rf"does not fit stm32f446: {memory} \(\d+ bytes\) "
                                         r"is over by (\d+) bytes") as err:
        build_firmware(oversized(tmp_path / "p", **kwargs), target, tmp_path / "out")
    over = int(str(err.value).rsplit("by ", 1)[1].split()[0])
    assert excess < over < excess + 16 * 1024  # plus stack, code and the rest


def test_missing_toolchain_and_qemu_are_named(project: Path, tmp_path: Path,
                                              firmware) -> None:
    target = load_target("qemu-m4")
    missing_gcc = dataclasses.replace(target, toolchain="no-such-")
    with pytest.raises(TinyqError, match="no-such-gcc not found.*install_toolchains"):
        build_firmware(project, missing_gcc, tmp_path)
    skip_without_qemu(target)
    missing_qemu = dataclasses.replace(target, qemu=QemuConfig("qemu-system-nope", "x", ()))
    with pytest.raises(TinyqError, match="qemu-system-nope not found"):
        run_firmware(firmware(target).elf, missing_qemu, None)


def test_host_and_boards_are_refused_where_they_cannot_go(project: Path, tmp_path: Path) -> None:
    with pytest.raises(TinyqError, match="builds no firmware"):
        build_firmware(project, load_target("host"), tmp_path)
    with pytest.raises(TinyqError, match="not emulated"):
        run_firmware(Path(__file__), load_target("stm32f746"), None)


def test_a_hung_run_is_killed_at_the_timeout(firmware, inputs: np.ndarray) -> None:
    target = load_target("qemu-m4")
    skip_without_qemu(target)
    with pytest.raises(TinyqError, match="still running after"):
        run_firmware(firmware(target).elf, target, np.tile(inputs, (20000, 1)), timeout=0.05)


def test_inputs_must_be_int8(firmware) -> None:
    target = load_target("qemu-m4")
    skip_without_qemu(target)
    with pytest.raises(TinyqError, match="int8"):
        run_firmware(firmware(target).elf, target, np.zeros((1, INPUT_SIZE), np.float32))
