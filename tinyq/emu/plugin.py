"""The instruction-counting TCG plugin, compiled on first use.

Takes: plugin/insn_count.c and QEMU's plugin API header qemu-plugin.h (not shipped by
Debian's QEMU; scripts/install_toolchains.sh puts the one from Debian's qemu source package
in /usr/local/include). Gives: plugin_path(), a shared object in the user's cache directory
named after a hash of the source and header, so an edit or a QEMU upgrade rebuilds it.
Relies on a host C compiler (cc).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tinyq.errors import TinyqError

SOURCE = Path(__file__).resolve().parent / "plugin" / "insn_count.c"
HEADER_DIRS = (Path("/usr/local/include"), Path("/usr/include"), Path("/usr/include/qemu"))
FIX = "run scripts/install_toolchains.sh as root"


def find_header() -> Path:
    """The qemu-plugin.h the plugin is built against."""
    for d in HEADER_DIRS:
        if (d / "qemu-plugin.h").is_file():
            return d / "qemu-plugin.h"
    raise TinyqError(f"QEMU's plugin header qemu-plugin.h is not in "
                     f"{', '.join(map(str, HEADER_DIRS))}; {FIX}")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinyq"


def plugin_path() -> Path:
    """The built plugin, compiling it if this source / header pair has not been built."""
    header = find_header()
    digest = hashlib.sha256(SOURCE.read_bytes() + header.read_bytes()).hexdigest()[:16]
    target = cache_dir() / f"insn_count-{digest}.so"
    if target.is_file():
        return target
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise TinyqError(f"no host C compiler (cc) to build the QEMU plugin; {FIX}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: parallel test workers may race to build it.
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    cmd = [cc, "-O2", "-shared", "-fPIC", "-std=c99", "-Wall", "-Wextra", "-Werror",
           f"-I{header.parent}", str(SOURCE), "-o", tmp]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise TinyqError(f"building the QEMU plugin failed:\n{proc.stderr.strip()}")
    os.replace(tmp, target)
    return target
