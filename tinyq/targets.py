"""Boards and emulators tinyq builds for, loaded from targets/<name>.toml.

Takes: the TOML files in targets/ (one per target; the keys are described in
targets/README.md). Gives: `Target`, an immutable description of one target (CPU and the
exact compiler flags, memory map, linker script and startup sources, toolchain, QEMU
machine if emulated, flashing methods), `load_target(name_or_alias)` and `list_targets()`.
Relies on: tomllib (Python 3.11). Paths in a Target are absolute, resolved against the
targets directory. Nothing here runs a tool; tinyq/emu/ does.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from tinyq.errors import TinyqError

ARCHES = ("arm", "riscv", "host")
# The TQ_HAS_* names of runtime_c/include/tq_isa.h (scalar: a 32-bit core with none of the rest).
ISA_FEATURES = ("dsp", "mve", "rvv", "scalar")


class UnknownTargetError(TinyqError, ValueError):
    """No target or alias has the requested name."""


class TargetFileError(TinyqError, ValueError):
    """A targets/*.toml file is malformed: the message names the file and the key."""


def targets_dir() -> Path:
    """targets/ of a source checkout, or the copy installed inside the package."""
    packaged = Path(__file__).resolve().parent / "_data" / "targets"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "targets"


@dataclass(frozen=True)
class MemoryRegion:
    """A contiguous address range: where code and constants (flash) or data (RAM) live."""

    origin: int
    size: int

    @property
    def end(self) -> int:
        return self.origin + self.size


@dataclass(frozen=True)
class QemuConfig:
    """How to start the emulator: `binary -M machine *args` (plus tinyq's fixed options)."""

    binary: str
    machine: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class FlashMethods:
    """Ways to program a real board; None / empty / False where a tool does not apply.

    pyocd: pyOCD target type; openocd: OpenOCD arguments (-f / -c) naming probe and target;
    st_flash: st-flash (ST-LINK) can program it; esptool: esptool.py --chip value (the
    image goes to flash offset 0)."""

    pyocd: str | None
    openocd: tuple[str, ...]
    st_flash: bool
    esptool: str | None


@dataclass(frozen=True)
class Target:
    """One board or emulated machine (targets/<name>.toml)."""

    name: str
    description: str
    arch: str                         # "arm", "riscv" or "host"
    cpu: str
    arch_flags: tuple[str, ...]       # exact gcc flags for compiling (-mcpu/-march/...)
    link_arch_flags: tuple[str, ...]  # flags for linking (selects the libc multilib)
    fpu: str
    isa_features: tuple[str, ...]     # subset of ISA_FEATURES the kernels may use
    aliases: tuple[str, ...]
    flash: MemoryRegion | None
    ram: MemoryRegion | None
    stack_size: int
    toolchain: str                    # tool prefix, e.g. "arm-none-eabi-"
    libc_flags: tuple[str, ...]       # compile and link flags choosing the C library
    linker_script: Path | None
    sources: tuple[Path, ...]         # startup and semihosting sources
    boot2: Path | None                # RP2040 second-stage boot source, CRC added at build
    semihosting: bool                 # firmware talks to the host through semihosting
    qemu: QemuConfig | None
    flashing: FlashMethods | None

    @property
    def emulated(self) -> bool:
        return self.qemu is not None

    def tool(self, name: str) -> str:
        """The toolchain's program `name` ("gcc", "objcopy", "size")."""
        return f"{self.toolchain}{name}"


def load_target(name_or_alias: str) -> Target:
    """The target called `name_or_alias` (a file name or one of its aliases, any case).

    Raises UnknownTargetError listing the known targets and aliases."""
    key = name_or_alias.strip().lower()
    targets = _all_targets()
    by_name = {t.name: t for t in targets}
    by_alias = {a: t for t in targets for a in t.aliases}
    if key in by_name:
        return by_name[key]
    if key in by_alias:
        return by_alias[key]
    known = ", ".join(sorted(by_name))
    aliases = ", ".join(f"{a} -> {t.name}" for a, t in sorted(by_alias.items()))
    raise UnknownTargetError(f"unknown target '{name_or_alias}'; known targets: {known} "
                             f"(aliases: {aliases})")


def list_targets() -> list[Target]:
    """Every target, emulated ones first, each group by name (qemu-m7 before qemu-m33)."""
    return sorted(_all_targets(), key=lambda t: (not t.emulated, _natural(t.name)))


def _natural(name: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", name))


@functools.cache
def _all_targets() -> tuple[Target, ...]:
    root = targets_dir()
    targets = tuple(parse_target_file(path, root) for path in sorted(root.glob("*.toml")))
    owner: dict[str, str] = {}
    for t in targets:
        for label in (t.name, *t.aliases):
            if label in owner:
                raise TargetFileError(f"{root}: '{label}' names both {owner[label]} and "
                                      f"{t.name}")
            owner[label] = t.name
    return targets


_TOP = {"description", "arch", "cpu", "arch_flags", "link_arch_flags", "fpu", "isa_features",
        "aliases", "memory", "build", "qemu", "flashing"}
_MEMORY = {"flash", "ram", "stack_size"}
_BUILD = {"toolchain", "libc_flags", "linker_script", "sources", "boot2", "semihosting"}
_QEMU = {"binary", "machine", "args"}
_FLASHING = {"pyocd", "openocd", "st_flash", "esptool"}


class _Reader:
    """Typed access to one TOML table; every complaint names the file and the key."""

    def __init__(self, path: Path, table: dict[str, Any], allowed: set[str], where: str = ""):
        self.path, self.table, self.where = path, table, where
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def fail(self, key: str, problem: str) -> NoReturn:
        raise TargetFileError(f"{self.path}: {self.where}{key}: {problem}")

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                self.fail(key, "missing")
            return default
        value = self.table[key]
        if kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(key, "expected a list of strings")
            return tuple(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def sub(self, key: str, allowed: set[str]) -> _Reader | None:
        if key not in self.table:
            return None
        return _Reader(self.path, self.get(key, dict), allowed, f"{self.where}{key}.")

    def region(self, key: str) -> MemoryRegion:
        r = _Reader(self.path, self.get(key, dict), {"origin", "size"}, f"{self.where}{key}.")
        region = MemoryRegion(r.get("origin", int), r.get("size", int))
        if region.size <= 0 or region.origin < 0 or region.end > 1 << 32:
            self.fail(key, "origin and size must give a non-empty range in 32-bit space")
        return region


def parse_target_file(path: Path, root: Path) -> Target:
    """One targets/*.toml file as a Target; paths inside resolve against `root`."""
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise TargetFileError(f"{path}: {e}") from None
    top = _Reader(path, data, _TOP)
    arch = top.get("arch", str)
    if arch not in ARCHES:
        top.fail("arch", f"'{arch}' is not one of {', '.join(ARCHES)}")
    features = top.get("isa_features", list)
    for f in features:
        if f not in ISA_FEATURES:
            top.fail("isa_features", f"'{f}' is not one of {', '.join(ISA_FEATURES)}")
    memory = top.sub("memory", _MEMORY)
    build = top.sub("build", _BUILD)
    if build is None:
        top.fail("build", "missing")
    qemu = top.sub("qemu", _QEMU)
    flashing = top.sub("flashing", _FLASHING)
    if arch != "host" and memory is None:
        top.fail("memory", "missing (only the host target has no memory map)")
    script = build.get("linker_script", str, None)
    boot2 = build.get("boot2", str, None)
    arch_flags = top.get("arch_flags", list)
    return Target(
        name=path.stem,
        description=top.get("description", str),
        arch=arch,
        cpu=top.get("cpu", str),
        arch_flags=arch_flags,
        link_arch_flags=top.get("link_arch_flags", list, arch_flags),
        fpu=top.get("fpu", str),
        isa_features=features,
        aliases=tuple(a.lower() for a in top.get("aliases", list, ())),
        flash=memory.region("flash") if memory else None,
        ram=memory.region("ram") if memory else None,
        stack_size=memory.get("stack_size", int) if memory else 0,
        toolchain=build.get("toolchain", str),
        libc_flags=build.get("libc_flags", list, ()),
        linker_script=root / script if script else None,
        sources=tuple(root / s for s in build.get("sources", list, ())),
        boot2=root / boot2 if boot2 else None,
        semihosting=build.get("semihosting", bool),
        qemu=QemuConfig(qemu.get("binary", str), qemu.get("machine", str),
                        qemu.get("args", list, ())) if qemu else None,
        flashing=FlashMethods(flashing.get("pyocd", str, None),
                              flashing.get("openocd", list, ()),
                              flashing.get("st_flash", bool, False),
                              flashing.get("esptool", str, None)) if flashing else None,
    )
