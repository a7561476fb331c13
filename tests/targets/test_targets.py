"""targets/*.toml and the pure-Python parts of tinyq/emu: no compiler needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.targets.conftest import FIXTURE
from tinyq.emu.build import read_model_info, rp2040_crc32
from tinyq.emu.counts import parse_counts
from tinyq.emu.sizes import classify, parse_size_output
from tinyq.errors import TinyqError
from tinyq.targets import (MemoryRegion, TargetFileError, UnknownTargetError, list_targets,
                           load_target, parse_target_file, targets_dir)

EMULATED = {"qemu-m0plus": "mps2-an385", "qemu-m3": "mps2-an385", "qemu-m4": "mps2-an386",
            "qemu-m7": "mps2-an500", "qemu-m33": "mps2-an505", "qemu-m55": "mps3-an547",
            "qemu-rv32": "virt", "qemu-rv32v": "virt"}
BOARDS = {"stm32f446", "stm32f746", "stm32h743", "stm32l4r5", "nrf52840", "rp2040", "esp32c3"}


def test_every_target_is_there() -> None:
    names = {t.name for t in list_targets()}
    assert names == set(EMULATED) | BOARDS | {"host"}
    assert {t.name: t.qemu.machine for t in list_targets() if t.qemu} == EMULATED


@pytest.mark.parametrize("alias, name", [
    ("stm32", "stm32f746"), ("nrf52", "nrf52840"), ("rp2040", "rp2040"),
    ("esp32c3", "esp32c3"), ("cortex-m0plus", "qemu-m0plus"), ("cortex-m3", "qemu-m3"),
    ("cortex-m4", "qemu-m4"), ("Cortex-M7", "qemu-m7"), ("cortex-m33", "qemu-m33"),
    ("cortex-m55", "qemu-m55"), ("riscv32", "qemu-rv32"), ("pico", "rp2040")])
def test_aliases(alias: str, name: str) -> None:
    assert load_target(alias).name == name


def test_unknown_target_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownTargetError) as err:
        load_target("stm32f999")
    assert isinstance(err.value, ValueError)
    assert "'stm32f999'" in str(err.value) and "qemu-m4" in str(err.value)
    assert "stm32 -> stm32f746" in str(err.value)


@pytest.mark.parametrize("target", [t for t in list_targets() if t.arch != "host"],
                         ids=lambda t: t.name)
def test_target_files_are_complete(target) -> None:
    assert target.linker_script is not None and target.linker_script.is_file()
    assert all(s.is_file() for s in target.sources)
    assert target.flash is not None and target.ram is not None
    assert target.flash.end <= 1 << 32 and target.ram.end <= 1 << 32
    assert target.stack_size % 16 == 0 and target.stack_size < target.ram.size
    flag = "-mcpu=" if target.arch == "arm" else "-march="
    assert any(f.startswith(flag) for f in target.arch_flags)
    assert target.emulated == target.semihosting  # boards keep results in RAM
    assert target.emulated or target.flashing is not None


def test_m33_and_m55_link_in_the_secure_alias() -> None:
    for name in ("qemu-m33", "qemu-m55"):
        flash = load_target(name).flash
        assert flash is not None and flash.origin == 0x10000000


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


GOOD = """description = "x"
arch = "arm"
cpu = "cortex-m4"
arch_flags = ["-mcpu=cortex-m4"]
fpu = "none"
isa_features = []
[memory]
flash = { origin = 0, size = 1024 }
ram = { origin = 0x20000000, size = 1024 }
stack_size = 256
[build]
toolchain = "arm-none-eabi-"
semihosting = false
"""


def test_a_good_file_parses(tmp_path: Path) -> None:
    t = parse_target_file(write_toml(tmp_path, GOOD), tmp_path)
    assert t.name == "bad" and t.ram == MemoryRegion(0x20000000, 1024)
    assert t.link_arch_flags == t.arch_flags


@pytest.mark.parametrize("change, culprit", [
    (("fpu", "fpux"), "fpux"),
    (('arch = "arm"', 'arch = "mips"'), "arch"),
    (("isa_features = []", 'isa_features = ["sse"]'), "isa_features"),
    (("size = 1024 }\nstack", "size = -1 }\nstack"), "ram"),
    (("stack_size = 256", 'stack_size = "big"'), "stack_size"),
    (('cpu = "cortex-m4"\n', ""), "cpu: missing"),
])
def test_a_bad_file_names_the_key(tmp_path: Path, change: tuple[str, str], culprit: str) -> None:
    path = write_toml(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(TargetFileError, match=culprit) as err:
        parse_target_file(path, tmp_path)
    assert str(path) in str(err.value)


def test_counts_pair_runs_and_layers() -> None:
    log = parse_counts("M 192 10\nM 64 12\nM 128 20\nM 65 20\nM 129 25\nM 193 30\n"
                       "M 192 40\nM 64 41\nM 128 42\nM 65 42\nM 129 50\nM 193 51\nT 60\n")
    assert [(i.instructions, i.layers) for i in log.inferences] == [(20, (8, 5)), (11, (1, 8))]
    assert log.total == 60


def test_counts_leave_out_a_run_cut_short_by_a_crash() -> None:
    log = parse_counts("M 192 1\nM 193 3\nM 192 5\nM 64 6\nT 9\n")
    assert [i.instructions for i in log.inferences] == [2]


@pytest.mark.parametrize("text", ["M 192 1\nM 65 2\nT 3\n", "M 64 1\nT 2\n",
                                  "M 192 1\nM 64 2\nM 193 3\nT 4\n", "M 192 1\n"])
def test_counts_reject_markers_out_of_order(text: str) -> None:
    with pytest.raises(TinyqError, match="marker|total"):
        parse_counts(text)


SIZE_A = """firmware.elf  :
section            size        addr
.vectors             64   134217728
.text              1000   134217792
.tq_weights         300   134218792
.rodata              20   134219092
.data                 8   536870912
.tq_arena          4096   536870928
.bss                 80   536875024
.stack             8192   536875104
.comment             38           0
.debug_info         360           0
Total             14148
"""


def test_size_report_splits_flash_and_ram() -> None:
    r = classify(parse_size_output(SIZE_A), load_target("stm32f446"))
    assert (r.flash_code, r.flash_weights, r.flash_rodata, r.flash_data_init) == (1064, 300, 20, 8)
    assert (r.ram_arena, r.ram_stack, r.ram_other) == (4096, 8192, 88)
    assert r.flash_total == 1392 and r.ram_total == 12376 and r.flash_capacity == 512 * 1024


def test_rp2040_crc_is_crc32_mpeg2() -> None:
    assert rp2040_crc32(b"123456789") == 0x0376E6E7  # the published check value


def test_model_info_comes_from_the_header() -> None:
    info = read_model_info(FIXTURE)
    assert (info.name, info.input_size, info.output_size, info.arena_size) == ("model", 64, 16, 64)


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TinyqError, match="tq_<name>_run"):
        read_model_info(tmp_path)


def test_targets_dir_is_the_checkout() -> None:
    assert (targets_dir() / "qemu-m4.toml").is_file()
