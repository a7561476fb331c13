"""Per-layer-shape kernel benchmark: exact instructions of one layer under QEMU.

Each shape of the issue's table (conv, first layer, depthwise, pointwise, add) is a
one-layer PyTorch model converted for the target; the layer's instructions come from the
counting plugin (markers around the kernel call), so MACs / instruction is exact. Every
run is checked bit-exact against the simulator first.

    .venv/bin/python benchmarks/kernel_shapes.py --targets qemu-m4,qemu-m55 \
        [--weights int8,int4] [--out benchmarks/results_kernels.md]

--weights lists weight widths (int8, int4: the s8s4 kernels); each target gets a column
per width. --optimize lists `tinyq convert --optimize` choices (size, speed); more than one
gives a column per choice too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project


class Residual(nn.Module):
    """Two 1x1 convolutions and the add under test (only the add's layer is counted)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a(x) + self.b(x)


@dataclass(frozen=True)
class Shape:
    label: str
    build: object  # () -> nn.Module
    input_shape: tuple[int, ...]
    op: str  # the IR op whose layer is counted
    cmsis_m4: float | None  # CMSIS-NN reference (MACs/instr, or instr/element without MACs)
    cmsis_m55: float | None


SHAPES = [
    Shape("conv 3x3 32x32x16->16", lambda: nn.Conv2d(16, 16, 3, padding=1),
          (1, 16, 32, 32), "conv2d", 0.43, 2.58),
    Shape("conv 3x3 8x8x64->64", lambda: nn.Conv2d(64, 64, 3, padding=1),
          (1, 64, 8, 8), "conv2d", 0.57, 4.86),
    Shape("first conv 3x3 32x32x3->16", lambda: nn.Conv2d(3, 16, 3, padding=1),
          (1, 3, 32, 32), "conv2d", 0.21, 0.74),
    Shape("conv 96x96x3->8 s2", lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1),
          (1, 3, 96, 96), "conv2d", 0.16, 0.50),
    Shape("depthwise 3x3 48x48x8", lambda: nn.Conv2d(8, 8, 3, padding=1, groups=8),
          (1, 8, 48, 48), "dwconv2d", 0.10, 0.19),
    Shape("depthwise 3x3 25x5x64", lambda: nn.Conv2d(64, 64, 3, padding=1, groups=64),
          (1, 64, 25, 5), "dwconv2d", 0.12, 0.43),
    Shape("pointwise 25x5x64->64", lambda: nn.Conv2d(64, 64, 1), (1, 64, 25, 5),
          "conv2d", 0.48, 2.52),
    Shape("pointwise 48x48x8->16", lambda: nn.Conv2d(8, 16, 1), (1, 8, 48, 48),
          "conv2d", 0.15, 0.46),
    Shape("add 32x32x16 (instr/element)", lambda: Residual(16), (1, 16, 32, 32), "add",
          81.0, None),
    Shape("maxpool 2x2 s2 32x32x16 (instr/input element)", lambda: nn.MaxPool2d(2),
          (1, 16, 32, 32), "maxpool2d", None, None),
    Shape("avgpool global 25x5x64 (instr/input element)", lambda: nn.AvgPool2d((25, 5)),
          (1, 64, 25, 5), "avgpool2d", None, None),
    Shape("sigmoid 32x32x16 (instr/element)", lambda: nn.Sigmoid(), (1, 16, 32, 32),
          "activation", None, None),
]


def measure(shape: Shape, target: str, work: Path,
            weights: str = "int8", optimize: str = "size") -> tuple[int, int]:
    """(instructions of the layer, MACs or elements) for one shape on one target, with
    `weights` ("int8" or "int4") for its weighted layers and --optimize `optimize`."""
    torch.manual_seed(0)
    model = shape.build().eval()
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((8, *shape.input_shape[1:])).astype(np.float32)
    path = work / "m.pt2"
    torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)), path)
    np.save(work / "calib.npy", calib)
    out = work / f"p_{target}"
    convert_model(path, out, ConvertOptions(calib=work / "calib.npy", target=target,
                                            weights=weights, optimize=optimize,
                                            force=True))
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:1]))
    if not run.bit_exact:
        raise SystemExit(f"{shape.label} on {target}: NOT bit-exact")
    index = next(i for i, layer in enumerate(project.report["layers"])
                 if layer["op"] == shape.op)
    layer = project.report["layers"][index]
    # Ops without MACs (add, pooling) are counted per element of their first input.
    work_items = layer["macs"] or int(np.prod(layer["input_shapes"][0]))
    return run.result.inferences[0].layers[index], work_items


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="qemu-m4,qemu-m55")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", default="", help="measure only shapes whose label "
                        "contains this text")
    parser.add_argument("--weights", default="int8", help="comma-separated weight widths "
                        "(int8, int4): one column per target and width")
    parser.add_argument("--optimize", default="size", help="comma-separated --optimize "
                        "choices (size, speed): one column per target, width and choice")
    args = parser.parse_args(argv)
    targets = args.targets.split(",")
    widths = args.weights.split(",")
    modes = args.optimize.split(",")
    runs = [(t, w, o) for t in targets for w in widths for o in modes]
    head = (["shape"] + [f"{t} MACs/instr" + ("" if widths == ["int8"] else f" {w}")
                         + ("" if modes == ["size"] else f" {o}") for t, w, o in runs]
            + ["CMSIS-NN M4", "CMSIS-NN M55"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    with tempfile.TemporaryDirectory() as tmp:
        for shape in [s for s in SHAPES if args.only in s.label]:
            cells = [shape.label]
            for target, weights, optimize in runs:
                instr, work = measure(shape, target, Path(tmp), weights, optimize)
                ratio = instr / work if "element)" in shape.label else work / instr
                cells.append(f"{ratio:.3f}")
            cells += ["-" if v is None else f"{v:g}" for v in (shape.cmsis_m4, shape.cmsis_m55)]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    if args.out:
        cmd = "python benchmarks/kernel_shapes.py " + " ".join(argv)
        args.out.write_text(f"# Kernel shapes\n\nProduced by `{cmd}`. Rows marked "
                            "instr/element are instructions per input element (lower is better); the rest MACs per "
                            "instruction (higher is better).\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
