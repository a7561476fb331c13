"""Convert every zoo model (seeded random weights, random calibration data) and record
MACs, weight bytes, arena vs its lower bound and conversion time in
benchmarks/results_convert.md. Run: .venv/bin/python benchmarks/zoo_convert.py"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.zoo import ZOO, build

OUT = Path(__file__).resolve().parent / "results_convert.md"


def main() -> None:
    rows = ["| model | MACs | weights B | arena B | lower bound B | gap | convert s |",
            "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, entry in ZOO.items():
            rng = np.random.default_rng(0)
            calib = rng.standard_normal((64, *entry.input_shape[1:])).astype(np.float32)
            path = Path(tmp) / f"{name}.pt2"
            model = build(name, seed=0)
            torch.export.save(torch.export.export(model, (torch.as_tensor(calib[:1]),)), path)
            np.save(Path(tmp) / "calib.npy", calib)
            start = time.perf_counter()
            res = convert_model(path, Path(tmp) / name,
                                ConvertOptions(calib=Path(tmp) / "calib.npy"))
            seconds = time.perf_counter() - start
            r = json.loads((res.out_dir / "report.json").read_text())
            gap = r["arena_bytes"] - r["arena_lower_bound_bytes"]
            rows.append(f"| {name} | {r['macs']:,} | {r['weight_bytes']:,} | "
                        f"{r['arena_bytes']:,} | {r['arena_lower_bound_bytes']:,} | {gap:,} | "
                        f"{seconds:.1f} |")
            print(rows[-1], flush=True)
    cmd = "python benchmarks/zoo_convert.py"
    OUT.write_text(f"# Zoo conversion (host target, int8)\n\nProduced by `{cmd}` "
                   f"(64 random calibration samples, seed 0, 2-core CI machine).\n\n"
                   + "\n".join(rows) + "\n")


if __name__ == "__main__":
    sys.exit(main())
