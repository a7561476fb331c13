"""Per-inference and per-layer instruction counts from the counting plugin's output.

Takes: the text plugin/insn_count.c writes ("M <value> <count>" per marker executed, then
"T <total>"). Gives: CountLog - one InferenceCount per run of the model (instructions from
the run-begin to the run-end marker, and per layer from its begin to its end marker) and
the whole program's total. Marker values are those of targets/common/tq_markers.h.
Relies on layers running in order, once each per run (straight-line generated code): the
k-th layer begun in a run is layer k, and its marker's low 6 bits must equal k mod 64.
A run the firmware never finished (it crashed) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyq.errors import TinyqError

LAYER_BEGIN, LAYER_END, RUN_BEGIN, RUN_END = 0x40, 0x80, 0xC0, 0xC1
NONE = -1  # no run / layer open (counts are never negative)


@dataclass(frozen=True)
class InferenceCount:
    """Instructions of one call of tq_<name>_run: the whole call and each layer."""

    instructions: int
    layers: tuple[int, ...]


@dataclass(frozen=True)
class CountLog:
    inferences: tuple[InferenceCount, ...]
    total: int  # the whole program, reset to exit (markers never count)


def parse_counts(text: str) -> CountLog:
    """Pair the markers into runs and layers (see the module docstring)."""
    marks: list[tuple[int, int]] = []
    total = None
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "M":
            marks.append((int(parts[1]), int(parts[2])))
        elif len(parts) == 2 and parts[0] == "T":
            total = int(parts[1])
        elif parts:
            raise TinyqError(f"instruction count log, line {n}: cannot read '{line}'")
    if total is None:
        raise TinyqError("instruction count log has no total: QEMU did not exit normally")
    return CountLog(_pair(marks), total)


def _pair(marks: list[tuple[int, int]]) -> tuple[InferenceCount, ...]:
    inferences: list[InferenceCount] = []
    run_start = layer_start = NONE
    layers: list[int] = []
    for value, count in marks:
        if value == RUN_BEGIN:
            _expect(run_start == NONE, "a run begins inside another", len(inferences))
            run_start, layers = count, []
        elif value == RUN_END:
            _expect(run_start != NONE and layer_start == NONE,
                    "a run ends outside a run or inside a layer", len(inferences))
            inferences.append(InferenceCount(count - run_start, tuple(layers)))
            run_start = NONE
        elif value & 0xC0 == LAYER_BEGIN:
            _expect(run_start != NONE and layer_start == NONE
                    and value & 0x3F == len(layers) % 64,
                    f"layer marker {value & 0x3F} begins out of order", len(inferences))
            layer_start = count
        else:
            _expect(layer_start != NONE and value & 0x3F == len(layers) % 64,
                    f"layer marker {value & 0x3F} ends out of order", len(inferences))
            layers.append(count - layer_start)
            layer_start = NONE
    # A run still open here was cut short (a crash: the exit status says so); it has no count.
    return tuple(inferences)


def _expect(ok: bool, problem: str, run: int) -> None:
    if not ok:
        raise TinyqError(f"instruction markers: {problem} (run {run})")
