"""Run firmware under QEMU and collect its outputs, exit status and instruction counts.

Takes: an ELF built by tinyq/emu/build.py for an emulated Target, and the int8 inputs when
the firmware reads them by semihosting (none when they are embedded).
Gives: RunResult - the outputs the firmware wrote, its exit status (and what it means), the
instruction counts per inference and per layer (exact: QEMU TCG with our counting plugin),
the whole run's count, and the wall time.
Relies on: the target's qemu-system-* binary (Debian's QEMU 7.2) on PATH; semihosting with
target=native, so the firmware's file names (tq_in.bin, tq_out.bin) are relative to QEMU's
working directory, a fresh temporary directory per run.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyq.emu.counts import CountLog, InferenceCount, parse_counts
from tinyq.emu.plugin import plugin_path
from tinyq.errors import TinyqError
from tinyq.targets import Target

# targets/common/tq_fw.h; 1-3 are the TQ_ERR_* codes of tinyq.h.
EXIT_MESSAGES = {
    0: "ok",
    1: "the model's arena is too small (TQ_ERR_ARENA_TOO_SMALL)",
    2: "the model's arena is misaligned (TQ_ERR_ARENA_MISALIGNED)",
    3: "the model got a NULL pointer (TQ_ERR_NULL_POINTER)",
    10: "the firmware could not open tq_in.bin on the host",
    11: "the firmware could not create tq_out.bin on the host",
    12: "tq_in.bin ends inside an input (its size is not a multiple of the input size)",
    13: "a semihosting write of an output failed",
    99: "the CPU faulted (HardFault or trap): a crash in the firmware",
}
COUNT_MODES = ("tb", "insn")


@dataclass(frozen=True)
class RunResult:
    """One QEMU run. outputs: int8, shape (n, output_size) when output_size was given."""

    exit_code: int
    outputs: np.ndarray
    inferences: tuple[InferenceCount, ...]
    total_instructions: int | None  # reset to exit; None when counting was off
    seconds: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def exit_message(self) -> str:
        return EXIT_MESSAGES.get(self.exit_code, f"exit status {self.exit_code}")


def qemu_command(elf: Path, target: Target, counts_file: Path | None,
                 count_mode: str = "tb") -> list[str]:
    """The QEMU command line for `elf` on `target`, with the counting plugin if
    counts_file is given."""
    if target.qemu is None:
        raise TinyqError(f"target '{target.name}' is not emulated; emulated targets: "
                         "the qemu-* ones (`tinyq targets`)")
    if count_mode not in COUNT_MODES:
        raise TinyqError(f"count mode '{count_mode}' is not one of {', '.join(COUNT_MODES)}")
    binary = shutil.which(target.qemu.binary)
    if binary is None:
        raise TinyqError(f"{target.qemu.binary} not found (needed for target "
                         f"'{target.name}'); run scripts/install_toolchains.sh as root")
    cmd = [binary, "-M", target.qemu.machine, *target.qemu.args, "-nographic",
           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    if counts_file is not None:
        cmd += ["-plugin", f"{plugin_path()},out={counts_file},mode={count_mode}"]
    return cmd


def run_firmware(elf: Path, target: Target, inputs: np.ndarray | bytes | None = None,
                 output_size: int | None = None, timeout: float = 120.0, count: bool = True,
                 count_mode: str = "tb") -> RunResult:
    """Run `elf` on `target` under QEMU (see the module docstring).

    inputs: written to tq_in.bin for firmware that reads inputs by semihosting.
    output_size: reshape the outputs to (n, output_size). count: load the counting plugin.
    Raises TinyqError if QEMU or the plugin is missing, QEMU cannot start, or the run
    outlives `timeout` seconds (it is killed)."""
    elf = Path(elf).resolve()
    if not elf.is_file():
        raise TinyqError(f"firmware {elf} does not exist")
    with tempfile.TemporaryDirectory(prefix="tinyq-qemu-") as tmp:
        work = Path(tmp)
        counts_file = work / "counts.txt" if count else None
        cmd = qemu_command(elf, target, counts_file, count_mode)
        if inputs is not None:
            data = inputs if isinstance(inputs, bytes) else _int8_bytes(inputs)
            (work / "tq_in.bin").write_bytes(data)
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=work, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise TinyqError(f"{target.name}: {elf.name} still running after {timeout:g} s "
                             "under QEMU (hung, or the timeout is too short); killed") from None
        seconds = time.perf_counter() - start
        out_file = work / "tq_out.bin"
        if _qemu_failed(proc.returncode, out_file):
            raise TinyqError(f"{target.name}: QEMU failed (exit {proc.returncode}): "
                             f"{proc.stderr.strip() or ' '.join(cmd)}")
        raw = out_file.read_bytes() if out_file.exists() else b""
        log = _read_counts(counts_file)
    outputs = np.frombuffer(raw, dtype=np.int8).copy()
    if output_size:
        outputs = outputs[: len(outputs) - len(outputs) % output_size].reshape(-1, output_size)
    return RunResult(proc.returncode, outputs, log.inferences if log else (),
                     log.total if log else None, seconds, proc.stdout, proc.stderr)


def _int8_bytes(inputs: np.ndarray) -> bytes:
    array = np.asarray(inputs)
    if array.dtype != np.int8:
        raise TinyqError(f"firmware inputs must be int8 (quantized), got {array.dtype}")
    return np.ascontiguousarray(array).tobytes()


def _qemu_failed(returncode: int, out_file: Path) -> bool:
    # The firmware creates tq_out.bin before anything else, so a non-zero exit without it
    # is QEMU's own failure, unless the firmware says it crashed or could not create it.
    return returncode != 0 and not out_file.exists() and returncode not in (11, 99)


def _read_counts(counts_file: Path | None) -> CountLog | None:
    if counts_file is None:
        return None
    if not counts_file.exists():
        raise TinyqError("the instruction counting plugin wrote no log (did QEMU load it?)")
    return parse_counts(counts_file.read_text())
