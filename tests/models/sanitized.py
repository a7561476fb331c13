"""Run a generated project's host runner built under AddressSanitizer and UBSan."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from tinyq.project import Project


def run_sanitized(project: Project, xq: np.ndarray, tmp_path: Path) -> np.ndarray:
    """The int8 outputs of the sanitized runner on quantized inputs `xq` (flat); fails the
    test on any sanitizer report (the build does not recover)."""
    subprocess.run(["make", "-s", "-C", str(project.path), "SANITIZE=1"], check=True,
                   capture_output=True)
    (tmp_path / "in.bin").write_bytes(xq.tobytes())
    runner = project.path / "build" / "sanitize" / "model_runner"
    proc = subprocess.run([str(runner), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
