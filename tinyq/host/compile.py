"""Compile C sources into a host shared library with the project's strict flags.

Takes sources and include dirs; gives a .so path. Warnings are errors (-Wall -Wextra
-Werror, C99), so every host build is also the compile check of the generated code.
`sanitize` adds AddressSanitizer and UndefinedBehaviorSanitizer with no recovery; such a
library must be loaded by a process started with the ASan runtime preloaded
(sanitizer_env()).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tinyq.errors import TinyqError

STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC"]
SANITIZE = ["-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all"]


def compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise TinyqError("no host C compiler found (install gcc: apt-get install gcc)")
    return cc


def compile_shared(sources: list[Path], include_dirs: list[Path], out_dir: Path,
                   stem: str, sanitize: bool = False) -> Path:
    """Build lib<stem>-<hash>.so in out_dir (rebuilt only when a source changed)."""
    flags = STRICT + (SANITIZE if sanitize else [])
    digest = hashlib.sha256()
    for path in sorted(sources) + sorted(include_dirs):
        digest.update(str(path).encode())
        if path.is_file():
            digest.update(path.read_bytes())
        else:
            for f in sorted(path.rglob("*.h")):
                digest.update(f.read_bytes())
    digest.update(" ".join(flags).encode())
    out_dir.mkdir(parents=True, exist_ok=True)
    lib = out_dir / f"lib{stem}-{digest.hexdigest()[:16]}.so"
    if lib.exists():
        return lib
    cmd = [compiler(), *flags, "-shared", *(f"-I{d}" for d in include_dirs),
           *map(str, sources), "-o", str(lib) + ".tmp"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinyqError(f"host C build failed:\n{proc.stderr.strip()}")
    os.replace(str(lib) + ".tmp", lib)
    return lib


def sanitizer_env() -> dict[str, str]:
    """Environment for a child process that loads a sanitized library into Python."""
    runtime = subprocess.run([compiler(), "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    env = dict(os.environ)
    env["LD_PRELOAD"] = runtime
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env
