"""The benchmark table: zoo models x emulated targets.

For each zoo model (seeded random weights, random calibration data) and target: flash
and RAM of the firmware, exact instructions per inference under QEMU, MACs and MACs per
instruction, arena vs its lower bound, conversion time; bit-exactness is checked on the
way (a row that is not bit-exact is an error, not a number). Writes a Markdown table.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tinyq.errors import TinyqError
from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.zoo import ZOO, build

DEFAULT_TARGETS = ("qemu-m4", "qemu-m4+speed", "qemu-m4+reference", "qemu-m4+int4",
                   "qemu-m7", "qemu-m55", "qemu-m55+int4", "qemu-rv32", "qemu-rv32v",
                   "qemu-m0plus")
VARIANTS = {"speed": {"optimize": "speed"}, "reference": {"kernels": "reference"},
            "int4": {"weights": "int4"}}


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """"qemu-m4+speed+int4" -> ("qemu-m4", {"optimize": "speed", "weights": "int4"}): a
    target, and the convert options of its forms: "+speed" (--optimize speed),
    "+reference" (--kernels reference), "+int4" (--weights int4)."""
    target, *forms = spec.split("+")
    options: dict[str, str] = {}
    for form in forms:
        if form not in VARIANTS:
            raise TinyqError(f"bench --targets '{spec}': unknown '+{form}'; choose from "
                             f"{', '.join('+' + v for v in VARIANTS)}")
        options.update(VARIANTS[form])
    return target, options


@dataclass
class Row:
    model: str
    target: str
    macs: int
    instructions: int
    flash: int
    ram: int
    arena: int
    lower_bound: int
    convert_s: float
    arena_whole: int  # without patch-based execution
    patches: str  # "split:n" or "-"
    mac_overhead: float

    def cells(self) -> list[str]:
        return [self.model, self.target, f"{self.instructions:,}",
                f"{self.macs / self.instructions:.3f}", f"{self.flash:,}", f"{self.ram:,}",
                f"{self.arena:,}", f"{self.lower_bound:,}", f"{self.arena_whole:,}",
                self.patches, f"{100 * self.mac_overhead:.1f}%", f"{self.macs:,}",
                f"{self.convert_s:.1f}"]


HEADER = ["model", "target", "instructions", "MACs/instr", "flash B", "RAM B",
          "peak SRAM (arena) B", "arena lower bound B", "arena without patches B", "patches",
          "MAC overhead", "MACs", "convert s"]


def convert_zoo_model(name: str, spec: str, work: Path) -> tuple[Project, float]:
    """Convert for the target of `spec` (parse_spec), so the project calls the kernel
    variants that target has."""
    target, options = parse_spec(spec)
    entry = ZOO[name]
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((64, *entry.input_shape[1:])).astype(np.float32)
    path = work / f"{name}.pt2"
    if not path.exists():
        torch.export.save(torch.export.export(build(name), (torch.as_tensor(calib[:1]),)),
                          path)
        np.save(work / f"{name}_calib.npy", calib)
    start = time.perf_counter()
    result = convert_model(path, work / f"{name}_{spec}",
                           ConvertOptions(calib=work / f"{name}_calib.npy", target=target,
                                          **options))
    return Project(result.out_dir), time.perf_counter() - start


def run_bench(models: list[str], targets: list[str], progress=print) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tinyq-bench-") as tmp:
        for name in models:
            for target in targets:
                project, seconds = convert_zoo_model(name, target, Path(tmp))
                x = np.random.default_rng(1).standard_normal((1, *project.sample_shape))
                xq = project.quantize_input(x.astype(np.float32))
                run = project.run_target(parse_spec(target)[0], xq)
                if not run.bit_exact:
                    raise TinyqError(f"bench: {name} on {target} is not bit-exact")
                r = project.report
                p = r["patches"]
                rows.append(Row(name, target, p["whole_tensor_macs"],
                                run.instructions()[0], run.firmware.sizes.flash_total,
                                run.firmware.sizes.ram_total, r["arena_bytes"],
                                r["arena_lower_bound_bytes"], seconds,
                                p["arena_without_patches_bytes"],
                                f"{p['split']}:{p['n']}" if p["split"] else "-",
                                p["mac_overhead"]))
                progress(" | ".join(rows[-1].cells()))
    return rows


def markdown(rows: list[Row], command: str) -> str:
    lines = ["# tinyq benchmarks", "",
             f"Produced by `{command}` (int8 weights unless `+int4`, batch 1, each model "
             "converted for its target so it calls that target's kernel variants: `+speed` "
             "rows with `--optimize speed`, `+reference` rows with the portable C kernels, "
             "`+int4` rows with `--weights int4`; qemu-m0plus is ARMv6-M code "
             "counted on an emulated Cortex-M3; instructions are "
             "exact counts of one inference under QEMU 7.2 with tinyq's counting plugin; "
             "flash / RAM are the whole firmware image: weights, code, arena, 8-16 KiB "
             "stack; peak SRAM is the arena of activations and kernel scratch, with "
             "patch-based execution where `--patch auto` chose it within 10% extra MACs; "
             "MACs/instr counts the whole-tensor MACs, not recomputed halos). Every row "
             "was checked bit-exact against the simulator.", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"
