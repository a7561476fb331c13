"""What this machine has for each tinyq job, and the command that fixes what is missing."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from tinyq.emu.plugin import HEADER_DIRS
from tinyq.flash import INSTALL_HINT, PROBES, probe_installed

TOOLCHAINS = "scripts/install_toolchains.sh (as root)"


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    fix: str
    required: bool  # needed by `make test` (programming tools are optional)


def checks() -> list[Check]:
    found = []
    for tool, what in [("cc", "host C compiler (tinyq test)"),
                       ("arm-none-eabi-gcc", "Arm cross compiler (Cortex-M firmware)"),
                       ("riscv64-unknown-elf-gcc", "RISC-V cross compiler"),
                       ("qemu-system-arm", "QEMU for Cortex-M boards"),
                       ("qemu-system-riscv32", "QEMU for RISC-V boards")]:
        found.append(Check(f"{what}: {tool}", shutil.which(tool) is not None,
                           "apt-get install gcc" if tool == "cc" else TOOLCHAINS, True))
    header = any((d / "qemu-plugin.h").is_file() for d in HEADER_DIRS)
    found.append(Check("QEMU plugin API header qemu-plugin.h (instruction counts)", header,
                       TOOLCHAINS, True))
    for probe in PROBES:
        found.append(Check(f"board programming: {probe}", probe_installed(probe),
                           INSTALL_HINT[probe], False))
    return found
