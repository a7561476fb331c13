"""All runtime kernels in one host library, callable from Python (op tests, sanitizer
runs). A `CCall` emitted by an op is executed directly: its params become a cffi struct,
Const arrays and Buf buffers become pointers into numpy arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cffi import FFI

from tinyq.codegen.project import runtime_root
from tinyq.host.cdefs import header_cdef
from tinyq.host.compile import compile_shared
from tinyq.ops import Buf, CCall, Const


class KernelLib:
    def __init__(self, build_dir: Path, sanitize: bool = False) -> None:
        root = runtime_root()
        sources = sorted((root / "src").rglob("*.c"))
        self.path = compile_shared(sources, [root / "include"], Path(build_dir),
                                   "tinyq_kernels", sanitize)
        self.ffi = FFI()
        self.ffi.cdef(header_cdef(root / "include" / "tinyq.h"))
        self.lib = self.ffi.dlopen(str(self.path))

    def call(self, call: CCall, inputs: list[np.ndarray], out: np.ndarray) -> None:
        """Run one kernel call on contiguous int8 buffers (out is written in place)."""
        keep: list[object] = []

        def ptr(value: object) -> object:
            if isinstance(value, Const):
                data = np.ascontiguousarray(value.data)
                keep.append(data)
                return self.ffi.from_buffer(f"{value.ctype}[]", data)
            if isinstance(value, Buf):
                arr = inputs[value.index] if value.kind == "in" else out
                return self.ffi.from_buffer("int8_t[]", arr)
            return int(value)

        args = [ptr(a) for a in call.args]
        if call.params_type:
            fields = {k: ptr(v) for k, v in call.params.items()}
            params = self.ffi.new(f"{call.params_type} *", fields)
            args = [params] + args
        getattr(self.lib, call.kernel)(*args)
