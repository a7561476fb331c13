"""A converted project on an emulated target: build the firmware, run the inputs under
QEMU, compare every output with the golden simulator, and collect instruction counts.

Takes a Project, a Target with a QEMU machine and int8 inputs in IR layout; gives a
TargetRun. Relies on tinyq/emu/build.py (firmware) and tinyq/emu/qemu.py (run + counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyq.emu.build import Firmware, build_firmware
from tinyq.emu.qemu import RunResult, run_firmware
from tinyq.errors import TinyqError
from tinyq.targets import Target


@dataclass
class TargetRun:
    target: Target
    firmware: Firmware
    result: RunResult
    outputs: np.ndarray   # (n, output size) int8 from the firmware
    expected: np.ndarray  # the simulator's
    layer_names: list[tuple[str, str]]  # (source, op) per counted layer

    @property
    def bit_exact(self) -> bool:
        return bool(np.array_equal(self.outputs, self.expected))

    @property
    def first_mismatch(self) -> int | None:
        bad = np.flatnonzero(np.any(self.outputs != self.expected, axis=1))
        return int(bad[0]) if bad.size else None

    def instructions(self) -> list[int]:
        return [inf.instructions for inf in self.result.inferences]

    def as_dict(self, macs: int) -> dict[str, Any]:
        counts = self.instructions()
        first = self.result.inferences[0] if self.result.inferences else None
        sizes = self.firmware.sizes
        return {
            "bit_exact": self.bit_exact,
            "target": self.target.name,
            "n": int(self.outputs.shape[0]),
            "first_mismatch": self.first_mismatch,
            "instructions": first.instructions if first else None,
            "instructions_min": min(counts) if counts else None,
            "instructions_max": max(counts) if counts else None,
            "macs": macs,
            "macs_per_instruction": (macs / first.instructions) if first else None,
            "flash_bytes": sizes.flash_total,
            "ram_bytes": sizes.ram_total,
            "sizes": sizes.as_dict(),
            "layers": [{"name": name, "op": op, "instructions": n} for (name, op), n
                       in zip(self.layer_names, first.layers if first else [])],
        }


def run_on_target(project: Any, target: Target, xq: np.ndarray,
                  timeout: float = 600.0) -> TargetRun:
    """project: a tinyq.project.Project; xq: (n, *input shape) int8."""
    if target.qemu is None:
        raise TinyqError(f"target '{target.name}' is not emulated; `tinyq run` needs one of "
                         "the qemu-* targets (`tinyq targets`), or use `tinyq build` / "
                         "`tinyq flash` for a board")
    fw = build_firmware(project.path, target, project.path / "build" / target.name)
    n = xq.shape[0]
    result = run_firmware(fw.elf, target, xq.reshape(n, -1), output_size=fw.model.output_size,
                          timeout=timeout)
    if not result.ok:
        raise TinyqError(f"{target.name}: the firmware stopped with {result.exit_message}")
    if result.outputs.shape[0] != n:
        raise TinyqError(f"{target.name}: the firmware returned {result.outputs.shape[0]} "
                         f"outputs for {n} inputs")
    expected = project.simulate(xq).reshape(n, -1)
    layers = [(layer["source"] or layer["name"], layer["op"])
              for layer in project.report["layers"]]
    return TargetRun(target, fw, result, result.outputs, expected, layers)
