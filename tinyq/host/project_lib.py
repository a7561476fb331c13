"""A generated project, built on the host and called through cffi.

Takes a project directory written by codegen/project.py; builds its sources into a
shared library with the strict flags (host/compile.py) and runs inferences on int8
batches, one `tq_<name>_run` call per sample, exactly as firmware would.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cffi import FFI

from tinyq.errors import TinyqError
from tinyq.host.compile import compile_shared


class HostModel:
    def __init__(self, project: Path, sanitize: bool = False) -> None:
        self.project = Path(project)
        report_path = self.project / "report.json"
        if not report_path.is_file():
            raise TinyqError(f"'{project}' is not a tinyq project (no report.json)")
        self.report = json.loads(report_path.read_text())
        self.name = self.report["name"]
        self.in_size = int(np.prod(self.report["input"]["shape"]))
        self.out_size = int(np.prod(self.report["output"]["shape"]))
        sources = sorted(p for p in self.project.rglob("*.c") if p.name != "host_runner.c"
                         and "build" not in p.relative_to(self.project).parts)
        self.lib_path = compile_shared(sources, [self.project, self.project / "runtime" /
                                                 "include"],
                                       self.project / "build" / "host", self.name, sanitize)
        self.ffi = FFI()
        self.ffi.cdef(f"int tq_{self.name}_run(const int8_t *in, int8_t *out, uint8_t *arena,"
                      " size_t arena_size);")
        self.lib = self.ffi.dlopen(str(self.lib_path))
        self.run_fn = getattr(self.lib, f"tq_{self.name}_run")
        self.arena_size = max(int(self.report["arena_bytes"]), 16)

    def run(self, xq: np.ndarray) -> np.ndarray:
        """xq: (N, *input shape) int8 in IR layout -> (N, *output shape) int8."""
        xq = np.ascontiguousarray(xq, dtype=np.int8).reshape(-1, self.in_size)
        out = np.zeros((xq.shape[0], self.out_size), dtype=np.int8)
        # Over-allocate so the arena can start on a TQ_ARENA_ALIGN boundary.
        raw = np.zeros(self.arena_size + 16, dtype=np.uint8)
        shift = (-raw.ctypes.data) % 16
        arena = raw[shift:shift + self.arena_size]
        arena_ptr = self.ffi.from_buffer("uint8_t[]", arena)
        for i in range(xq.shape[0]):
            rc = self.run_fn(self.ffi.from_buffer("int8_t[]", xq[i]),
                             self.ffi.from_buffer("int8_t[]", out[i]), arena_ptr,
                             self.arena_size)
            if rc != 0:
                raise TinyqError(f"tq_{self.name}_run returned error {rc}")
        return out.reshape((xq.shape[0], *self.report["output"]["shape"]))
