"""The op tests again with every kernel built under -fsanitize=address,undefined.

They run in a child pytest whose process preloads the ASan runtime (a sanitized library
cannot be loaded into an uninstrumented Python otherwise); any out-of-bounds access or
undefined behaviour aborts it, and the test fails with its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tinyq.host.compile import sanitizer_env

OPS_DIR = Path(__file__).resolve().parent


def test_kernels_clean_under_asan_and_ubsan(request):
    if request.config.getoption("--sanitize"):
        pytest.skip("this is the sanitized child run itself")
    cmd = [sys.executable, "-m", "pytest", str(OPS_DIR), "--sanitize", "-q", "-x",
           "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, env=sanitizer_env(), capture_output=True, text=True,
                          cwd=OPS_DIR.parents[1])
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, f"sanitized op tests failed:\n{tail}"
    assert " passed" in proc.stdout and "error" not in proc.stdout.lower(), tail
