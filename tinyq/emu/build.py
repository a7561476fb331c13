"""Cross-compile a converted model project into firmware for one target.

Takes: a project directory (what `tinyq convert` writes: <name>.h exporting
tq_<name>_run and the TQ_<NAME>_ARENA_SIZE / _INPUT_SIZE / _OUTPUT_SIZE macros, its .c files
and runtime/), a Target, optionally int8 inputs to embed in the image.
Gives: Firmware - <out>/firmware.elf, .bin, .hex, .map, the model's sizes and a SizeReport.
The firmware is targets/common/fw_main.c with the target's startup sources and linker
script; for emulated targets every source also gets the instruction-count markers
(targets/common/tq_markers.h, force-included).
Relies on: the target's toolchain on PATH (scripts/install_toolchains.sh installs them).
Failures raise TinyqError: a missing tool, a compile error (with the compiler's output), or
an image too big for the board, saying which memory and by how many bytes.

Steps:
  1. read the model's name and sizes from its header;
  2. write the generated glue (tq_fw_model.h, tq_memory.ld, inputs.h, the RP2040 boot2);
  3. compile every source in parallel with the target's flags plus COMMON_CFLAGS;
  4. link with the target's linker script, --gc-sections;
  5. objcopy to .bin and .hex, and measure the sections.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from tinyq.emu.sizes import SizeReport, measure
from tinyq.errors import TinyqError
from tinyq.targets import Target, targets_dir

COMMON_CFLAGS = ("-O2", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra",
                 "-Werror", "-std=c99")
SKIPPED_SOURCES = {"host_runner.c"}  # the project's host-only program


@dataclass(frozen=True)
class ModelInfo:
    """What the firmware needs to know of a project's model (from <name>.h)."""

    name: str
    input_size: int
    output_size: int
    arena_size: int


@dataclass(frozen=True)
class Firmware:
    """A linked image and how it was built."""

    target: Target
    elf: Path
    bin: Path
    hex: Path
    model: ModelInfo
    embedded_inputs: int  # 0: the firmware reads tq_in.bin through semihosting
    markers: bool
    sizes: SizeReport


def read_model_info(project: Path) -> ModelInfo:
    """Find the header declaring tq_<name>_run in `project` and read its size macros."""
    for header in sorted(Path(project).glob("*.h")):
        text = header.read_text(errors="replace")
        run = re.search(r"^\s*int\s+tq_(\w+)_run\s*\(", text, re.MULTILINE)
        if run is None:
            continue
        name = run.group(1)
        macros = dict(re.findall(rf"#define\s+TQ_{name.upper()}_(\w+)\s+(\d+)\b", text))
        missing = [m for m in ("INPUT_SIZE", "OUTPUT_SIZE", "ARENA_SIZE") if m not in macros]
        if missing:
            raise TinyqError(f"{header}: no TQ_{name.upper()}_{missing[0]} macro")
        return ModelInfo(name, int(macros["INPUT_SIZE"]), int(macros["OUTPUT_SIZE"]),
                         int(macros["ARENA_SIZE"]))
    raise TinyqError(f"{project}: no header declaring int tq_<name>_run(...); is this a "
                     "tinyq project directory?")


def build_firmware(project: Path, target: Target, out_dir: Path,
                   inputs: np.ndarray | None = None, markers: bool | None = None) -> Firmware:
    """Build firmware for `target` from `project` into `out_dir` (see the module docstring).

    inputs: int8 array (N, input_size) or (input_size,) to embed; None reads tq_in.bin by
    semihosting, or, on a target without semihosting, embeds one all-zero input.
    markers: instruction-count markers around each layer and run; default: if emulated."""
    if target.arch == "host" or target.linker_script is None:
        raise TinyqError(f"target '{target.name}' builds no firmware; `tinyq test` runs the "
                         "project on the host")
    project, out_dir = Path(project).resolve(), Path(out_dir).resolve()
    _require_tools(target)
    model = read_model_info(project)
    markers = target.emulated if markers is None else markers
    if inputs is None and not target.semihosting:
        inputs = np.zeros((1, model.input_size), dtype=np.int8)
    gen = out_dir / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    _write_glue(gen, target, model, inputs)
    defines = [f"-DTQ_FW_SEMIHOSTING={int(target.semihosting)}",
               f"-DTQ_FW_EMBEDDED_INPUTS={int(inputs is not None)}"]
    includes = [gen, targets_dir() / "common", project, project / "runtime" / "include",
                project / "runtime" / "src"]
    flags = [*target.arch_flags, *target.libc_flags, *COMMON_CFLAGS, *defines,
             *(f"-I{d}" for d in includes)]
    if markers:
        flags += ["-include", str(targets_dir() / "common" / "tq_markers.h")]
    objects = _compile_all(_sources(project, target), project, out_dir / "obj", target, flags)
    if target.boot2 is not None:
        objects.insert(0, _boot2_object(target, out_dir))
    elf = _link(objects, target, out_dir, gen, model)
    image = {fmt: out_dir / f"firmware.{ext}" for fmt, ext in (("binary", "bin"),
                                                               ("ihex", "hex"))}
    for fmt, path in image.items():
        _run([target.tool("objcopy"), "-O", fmt, str(elf), str(path)], "objcopy")
    count = 0 if inputs is None else np.asarray(inputs).reshape(-1, model.input_size).shape[0]
    return Firmware(target, elf, image["binary"], image["ihex"], model, count, markers,
                    measure(elf, target))


def _require_tools(target: Target) -> None:
    for tool in ("gcc", "objcopy", "size"):
        if shutil.which(target.tool(tool)) is None:
            raise TinyqError(f"{target.tool(tool)} not found (needed for target "
                             f"'{target.name}'); run scripts/install_toolchains.sh as root")


def _sources(project: Path, target: Target) -> list[Path]:
    own = [p for p in sorted(project.glob("*.c")) if p.name not in SKIPPED_SOURCES]
    runtime = sorted((project / "runtime" / "src").rglob("*.c"))
    return [*own, *runtime, *target.sources, targets_dir() / "common" / "fw_main.c"]


def _object_path(source: Path, project: Path, obj_dir: Path) -> Path:
    # Mirror the source tree so equal file names cannot collide, and keep the stem: the
    # linker scripts find weights by their object name (*_weights.o).
    root = project if source.is_relative_to(project) else targets_dir()
    sub = "project" if root == project else "targets"
    return obj_dir / sub / source.relative_to(root).with_suffix(".o")


def _compile_all(sources: list[Path], project: Path, obj_dir: Path, target: Target,
                 flags: list[str]) -> list[Path]:
    jobs = []
    for src in sources:
        obj = _object_path(src, project, obj_dir)
        obj.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((obj, [target.tool("gcc"), *flags, "-c", str(src), "-o", str(obj)]))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda job: _run(job[1], "compile"), jobs))
    return [obj for obj, _ in jobs]


def _link(objects: list[Path], target: Target, out_dir: Path, gen: Path,
          model: ModelInfo) -> Path:
    elf = out_dir / "firmware.elf"
    assert target.linker_script is not None
    cmd = [target.tool("gcc"), *target.link_arch_flags, *target.libc_flags, "-nostartfiles",
           "-Wl,--gc-sections", f"-Wl,-Map={out_dir / 'firmware.map'}",
           "-T", str(target.linker_script), f"-L{gen}", f"-L{target.linker_script.parent}",
           *map(str, objects), "-o", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        over = re.findall(r"region [`']?(\w+)'? overflowed by (\d+) bytes", proc.stderr)
        if over:
            raise TinyqError(_overflow_message(target, over, model))
        raise TinyqError(f"link failed for {target.name}:\n{proc.stderr.strip()}")
    return elf


def _overflow_message(target: Target, over: list[tuple[str, str]], model: ModelInfo) -> str:
    parts = []
    for region, excess in dict(over).items():
        mem = target.flash if region == "FLASH" else target.ram
        size = f" ({mem.size} bytes)" if mem is not None else ""
        parts.append(f"{region.lower()}{size} is over by {int(excess)} bytes")
    return (f"the firmware does not fit {target.name}: " + "; ".join(parts) +
            f" (model '{model.name}': arena {model.arena_size} bytes; stack "
            f"{target.stack_size} bytes)")


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TinyqError(f"{what} failed: {' '.join(cmd)}\n{(proc.stderr or proc.stdout).strip()}")


def _template(name: str) -> Template:
    return Template((targets_dir() / "common" / name).read_text())


def _write_glue(gen: Path, target: Target, model: ModelInfo,
                inputs: np.ndarray | None) -> None:
    assert target.flash is not None and target.ram is not None
    (gen / "tq_fw_model.h").write_text(_template("tq_fw_model.h.in").substitute(
        name=model.name, NAME=f"TQ_{model.name.upper()}"))
    (gen / "tq_memory.ld").write_text(Template(
        (targets_dir() / "ld" / "memory.ld.in").read_text()).substitute(
        target=target.name, flash_origin=hex(target.flash.origin),
        flash_size=hex(target.flash.size), ram_origin=hex(target.ram.origin),
        ram_size=hex(target.ram.size), stack_size=hex(target.stack_size)))
    inputs_h = gen / "inputs.h"
    if inputs is None:
        inputs_h.unlink(missing_ok=True)
        return
    rows = _input_rows(np.asarray(inputs), model)
    inputs_h.write_text(_template("inputs.h.in").substitute(
        name=model.name, count=len(rows), rows=",\n".join(rows)))


def _input_rows(inputs: np.ndarray, model: ModelInfo) -> list[str]:
    if inputs.dtype != np.int8:
        raise TinyqError(f"firmware inputs must be int8 (quantized), got {inputs.dtype}")
    if inputs.size == 0 or inputs.size % model.input_size != 0:
        raise TinyqError(f"firmware inputs hold {inputs.size} values, not a whole number of "
                         f"{model.input_size}-value inputs of model '{model.name}'")
    flat = inputs.reshape(-1, model.input_size)
    return ["    {" + ", ".join(str(int(v)) for v in row) + "}" for row in flat]


def rp2040_crc32(data: bytes) -> int:
    """CRC-32 as the RP2040 bootrom checks boot2: polynomial 0x04c11db7, initial value
    0xffffffff, bits taken most significant first, no final inversion."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def _boot2_object(target: Target, out_dir: Path) -> Path:
    """Assemble the target's boot2, pad it to 252 bytes, append its CRC and return an
    object holding the 256-byte .boot2 section."""
    assert target.boot2 is not None
    work = out_dir / "boot2"
    work.mkdir(parents=True, exist_ok=True)
    code_o, code_bin = work / "boot2_code.o", work / "boot2_code.bin"
    _run([target.tool("gcc"), *target.arch_flags, "-c", str(target.boot2), "-o", str(code_o)],
         "assemble boot2")
    _run([target.tool("objcopy"), "-O", "binary", str(code_o), str(code_bin)], "objcopy boot2")
    code = code_bin.read_bytes()
    if len(code) > 252:
        raise TinyqError(f"{target.boot2}: {len(code)} bytes, boot2 holds at most 252")
    image = code.ljust(252, b"\0")
    image += rp2040_crc32(image).to_bytes(4, "little")
    lines = [f"    .byte {', '.join(hex(b) for b in image[i:i + 16])}"
             for i in range(0, 256, 16)]
    image_s = work / "boot2_image.S"
    image_s.write_text(_template("boot2_image.S.in").substitute(
        source=target.boot2.name, bytes="\n".join(lines)))
    image_o = work / "boot2_image.o"
    _run([target.tool("gcc"), *target.arch_flags, "-c", str(image_s), "-o", str(image_o)],
         "assemble boot2 image")
    return image_o
