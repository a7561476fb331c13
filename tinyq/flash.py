"""Program a real board with the firmware `tinyq build` made.

Takes a Firmware (tinyq/emu/build.py) and a probe choice; gives the exact command for
pyOCD, OpenOCD, st-flash or esptool (printed with --dry-run) and runs it. pyOCD is driven
through its Python API when it is importable, else through its `pyocd` command. Without
--probe the first method the board supports whose tool is installed is used.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinyq.emu.build import Firmware
from tinyq.errors import TinyqError
from tinyq.targets import Target

PROBES = ("pyocd", "openocd", "stlink", "esptool")
INSTALL_HINT = {
    "pyocd": "pip install pyocd (and `pyocd pack install <part>` for STM32 parts)",
    "openocd": "apt-get install openocd",
    "stlink": "apt-get install stlink-tools",
    "esptool": "pip install esptool",
}


@dataclass(frozen=True)
class FlashCommand:
    probe: str
    argv: list[str]

    def text(self) -> str:
        return " ".join(a if " " not in a else f'"{a}"' for a in self.argv)


def supported_probes(target: Target) -> list[str]:
    m = target.flashing
    if m is None:
        return []
    found = [("pyocd", bool(m.pyocd)), ("openocd", bool(m.openocd)),
             ("stlink", m.st_flash), ("esptool", bool(m.esptool))]
    return [name for name, ok in found if ok]


def probe_installed(probe: str) -> bool:
    if probe == "pyocd":
        return importlib.util.find_spec("pyocd") is not None or shutil.which("pyocd") is not None
    tool = {"openocd": "openocd", "stlink": "st-flash", "esptool": "esptool.py"}[probe]
    return shutil.which(tool) is not None or (probe == "esptool" and
                                              shutil.which("esptool") is not None)


def flash_command(fw: Firmware, probe: str) -> FlashCommand:
    t, m = fw.target, fw.target.flashing
    if probe not in supported_probes(t):
        raise TinyqError(f"--probe {probe}: target '{t.name}' can be programmed with "
                         f"{', '.join(supported_probes(t)) or 'nothing tinyq knows'}")
    if probe == "pyocd":
        argv = ["pyocd", "flash", "--target", m.pyocd, str(fw.hex)]
    elif probe == "openocd":
        argv = ["openocd", *m.openocd, "-c", f"program {fw.elf} verify reset exit"]
    elif probe == "stlink":
        argv = ["st-flash", "--reset", "write", str(fw.bin), hex(t.flash.origin)]
    else:
        argv = ["esptool.py", "--chip", m.esptool, "write_flash", "0x0", str(fw.bin)]
    return FlashCommand(probe, argv)


def choose_probe(target: Target, probe: str | None, dry_run: bool) -> str:
    supported = supported_probes(target)
    if not supported:
        raise TinyqError(f"target '{target.name}' is not a board tinyq can flash"
                         + (" (it is emulated: use `tinyq run`)" if target.emulated else ""))
    if probe is not None:
        if probe not in PROBES:
            raise TinyqError(f"--probe '{probe}' unknown; choose from {', '.join(PROBES)}")
        return probe
    installed = [p for p in supported if probe_installed(p)]
    if installed:
        return installed[0]
    if dry_run:
        return supported[0]
    hints = "; ".join(f"{p}: {INSTALL_HINT[p]}" for p in supported)
    raise TinyqError(f"no programming tool for '{target.name}' is installed ({hints})")


def flash(fw: Firmware, cmd: FlashCommand) -> None:
    """Program the board; any failure is a TinyqError with the tool's own message."""
    if cmd.probe == "pyocd" and importlib.util.find_spec("pyocd") is not None:
        flash_with_pyocd_api(fw)
        return
    if not probe_installed(cmd.probe):
        raise TinyqError(f"{cmd.argv[0]} not found: {INSTALL_HINT[cmd.probe]}")
    proc = subprocess.run(cmd.argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinyqError(f"{cmd.argv[0]} failed (exit {proc.returncode}):\n"
                         f"{(proc.stderr or proc.stdout).strip()}")


def flash_with_pyocd_api(fw: Firmware) -> None:
    from pyocd.core.helpers import ConnectHelper  # type: ignore[import-not-found]
    from pyocd.flash.file_programmer import FileProgrammer  # type: ignore[import-not-found]

    session = ConnectHelper.session_with_chosen_probe(
        target_override=fw.target.flashing.pyocd, return_first=True)
    if session is None:
        raise TinyqError("pyOCD found no debug probe: is the board connected over USB?")
    with session:
        FileProgrammer(session).program(str(Path(fw.hex)))
        session.target.reset()
