"""Measure the kernel cost table a `--latency-budget` uses: targets/costs/<target>.json.

One probe network (convolutions of several shapes, depthwise, pointwise, linear, a
residual add, pooling) is converted twice for the target, all-int8 and all-int4 weights,
and run once under QEMU each (two firmware runs per target: the machine is shared). The
counting plugin gives every layer's exact instructions. Per weighted op and bit width we
fit, by non-negative least squares over the probe's layers of that op,
    instructions ~= per_mac * MACs + per_tap * outputs * kernel taps
                    + per_output * output elements + per_call
(the inner loop, the start of each channel run, the requantization of each output, the
call's set-up). Ops without
weights get instructions per input element (their work does not depend on weight bits).
The table records the fit's worst relative error so its users know how far to trust it.

    .venv/bin/python benchmarks/kernel_costs.py --target qemu-m4
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from scipy.optimize import nnls

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.quant.latency import COEFFICIENTS, COSTS_DIR, cost_features, kernel_taps

WEIGHTED = ("conv2d", "dwconv2d", "linear")


def block(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups), nn.ReLU())


class Probe(nn.Module):
    """Layer shapes spanning what small CNNs use: 1-channel first layer, 3x3 at several
    widths and strides, depthwise at two resolutions, pointwise, a residual add, global
    pooling and a stack of linear layers of different sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            block(1, 8), block(8, 16), block(16, 16, groups=16), block(16, 32, 1),
            block(32, 32, stride=2), block(32, 32, groups=32), block(32, 48, 1),
            block(48, 24), block(24, 24, stride=2, groups=24), block(24, 40, 1))
        self.res = nn.Conv2d(40, 40, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Linear(40, 96), nn.ReLU(), nn.Linear(96, 64), nn.ReLU(),
                                  nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.relu(x + self.res(x))
        return self.head(torch.flatten(self.pool(x), 1))


def measure(target: str, weights: str, work: Path) -> list[dict]:
    """Every counted layer of the probe: op, MACs, sizes, instructions."""
    torch.manual_seed(0)
    model = Probe().eval()
    calib = np.random.default_rng(0).standard_normal((16, 1, 16, 16)).astype(np.float32)
    path = work / "probe.pt2"
    torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)), path)
    np.save(work / "calib.npy", calib)
    out = work / f"probe_{weights}"
    convert_model(path, out, ConvertOptions(calib=work / "calib.npy", target=target,
                                            weights=weights, patch="off", force=True))
    project = Project(out)
    run = project.run_target(target, project.quantize_input(calib[:1]))
    if not run.bit_exact:
        raise SystemExit(f"probe ({weights}) on {target}: NOT bit-exact")
    counts = run.result.inferences[0].layers
    nodes = {n.name: n for n in project.graph.nodes}
    return [{**layer, "taps": kernel_taps(nodes[layer["name"]]), "instructions": int(n)}
            for layer, n in zip(project.report["layers"], counts)]


def fit(rows: list[dict]) -> dict[str, float]:
    a = np.array([cost_features(r["macs"], int(np.prod(r["output_shape"])), r["taps"])
                  for r in rows], dtype=np.float64)
    b = np.array([r["instructions"] for r in rows], dtype=np.float64)
    coef, _ = nnls(a, b)
    worst = float(np.max(np.abs(a @ coef - b) / b))
    return {**{k: float(c) for k, c in zip(COEFFICIENTS, coef)}, "layers": len(rows),
            "max_rel_error": worst}


def table(target: str, runs: dict[int, list[dict]]) -> dict:
    ops: dict[str, dict[str, dict]] = {}
    for bits, layers in runs.items():
        for op in WEIGHTED:
            rows = [r for r in layers if r["op"] == op]
            if rows:
                ops.setdefault(op, {})[str(bits)] = fit(rows)
    per_element: dict[str, float] = {}
    for r in runs[8]:
        if r["op"] not in WEIGHTED:
            elements = sum(int(np.prod(s)) for s in r["input_shapes"])
            per_element[r["op"]] = max(per_element.get(r["op"], 0.0),
                                       r["instructions"] / elements)
    return {"target": target, "source": f"benchmarks/kernel_costs.py --target {target}",
            "model": "instructions = per_mac * MACs + per_tap * outputs * taps + "
                     "per_output * outputs + per_call",
            "weighted": ops, "per_input_element": per_element,
            "measured_layers": {str(bits): [{k: r[k] for k in ("name", "op", "macs",
                                                                "output_shape", "taps",
                                                                "instructions")}
                                            for r in layers] for bits, layers in runs.items()}}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="qemu-m4")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {bits: measure(args.target, f"int{bits}", Path(tmp)) for bits in (8, 4)}
    result = table(args.target, runs)
    COSTS_DIR.mkdir(parents=True, exist_ok=True)
    path = COSTS_DIR / f"{args.target}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    for op, by_bits in result["weighted"].items():
        for bits, c in by_bits.items():
            print(f"{op:9} int{bits}: {c['per_mac']:.3f}/MAC + {c['per_tap']:.2f}/tap + "
                  f"{c['per_output']:.2f}/output + {c['per_call']:.0f}/call  (worst fit error "
                  f"{100 * c['max_rel_error']:.1f}% over {c['layers']} layers)")
    for op, c in result["per_input_element"].items():
        print(f"{op:9} {c:.2f}/input element")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
