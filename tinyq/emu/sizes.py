"""Flash and RAM use of a firmware image, from the toolchain's `size -A`.

Takes: the ELF and its Target (for the memory map). Gives: SizeReport, flash split into
code / weights / constants / initial values of .data, RAM into arena / stack / other.
Relies on the section names of targets/ld/*.ld: .tq_weights holds every *_weights.o
constant, .tq_arena the model's arena, .stack the reserved stack; any other allocated
section is classed by the address it sits at.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyq.errors import TinyqError
from tinyq.targets import MemoryRegion, Target

CODE_SECTIONS = {".vectors", ".text", ".boot2", ".header", ".ARM.extab", ".ARM.exidx"}
# Not memory: link-time bookkeeping, debug info, and esp32c3.ld's address-space gap.
IGNORED_PREFIXES = (".debug", ".comment", ".ARM.attributes", ".riscv.attributes",
                    ".tq_code_gap", ".stab", ".note")


@dataclass(frozen=True)
class Section:
    name: str
    size: int
    address: int


@dataclass(frozen=True)
class SizeReport:
    """Bytes of flash and RAM the image uses, by kind, with the target's capacities."""

    flash_code: int
    flash_weights: int
    flash_rodata: int
    flash_data_init: int  # the flash copy of .data, copied to RAM at reset
    ram_arena: int
    ram_stack: int
    ram_other: int        # .data, .bss and anything else in RAM
    flash_capacity: int
    ram_capacity: int
    sections: tuple[Section, ...]

    @property
    def flash_total(self) -> int:
        return self.flash_code + self.flash_weights + self.flash_rodata + self.flash_data_init

    @property
    def ram_total(self) -> int:
        return self.ram_arena + self.ram_stack + self.ram_other

    def as_dict(self) -> dict[str, int]:
        """The table `tinyq build --json` prints."""
        return {"flash_code": self.flash_code, "flash_weights": self.flash_weights,
                "flash_rodata": self.flash_rodata, "flash_data_init": self.flash_data_init,
                "flash_total": self.flash_total, "flash_capacity": self.flash_capacity,
                "ram_arena": self.ram_arena, "ram_stack": self.ram_stack,
                "ram_other": self.ram_other, "ram_total": self.ram_total,
                "ram_capacity": self.ram_capacity}


def parse_size_output(text: str) -> tuple[Section, ...]:
    """The sections of `size -A` output ("name size address" rows between the header and
    Total), debug and bookkeeping sections left out."""
    sections = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith(".") or not parts[1].isdigit():
            continue
        name, size, address = parts[0], int(parts[1]), int(parts[2])
        if size and not name.startswith(IGNORED_PREFIXES):
            sections.append(Section(name, size, address))
    return tuple(sections)


def _inside(region: MemoryRegion | None, address: int) -> bool:
    return region is not None and region.origin <= address < region.end


def classify(sections: tuple[Section, ...], target: Target) -> SizeReport:
    """Sort sections into the report's kinds (see the module docstring)."""
    kinds = dict.fromkeys(("code", "weights", "rodata", "data_init", "arena", "stack",
                           "ram_other"), 0)
    for s in sections:
        if s.name in CODE_SECTIONS:
            kinds["code"] += s.size
        elif s.name == ".tq_weights":
            kinds["weights"] += s.size
        elif s.name == ".tq_arena":
            kinds["arena"] += s.size
        elif s.name == ".stack":
            kinds["stack"] += s.size
        elif s.name == ".data":
            kinds["data_init"] += s.size
            kinds["ram_other"] += s.size
        elif _inside(target.ram, s.address):
            kinds["ram_other"] += s.size
        else:  # constants in flash, or seen through a read-only window of it (ESP32-C3)
            kinds["rodata"] += s.size
    return SizeReport(kinds["code"], kinds["weights"], kinds["rodata"], kinds["data_init"],
                      kinds["arena"], kinds["stack"], kinds["ram_other"],
                      target.flash.size if target.flash else 0,
                      target.ram.size if target.ram else 0, sections)


def measure(elf: Path, target: Target) -> SizeReport:
    """Run the target's `size -A` on `elf` and classify its sections."""
    cmd = [target.tool("size"), "-A", str(elf)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise TinyqError(f"{cmd[0]} not found; run scripts/install_toolchains.sh") from None
    if proc.returncode != 0:
        raise TinyqError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return classify(parse_size_output(proc.stdout), target)
