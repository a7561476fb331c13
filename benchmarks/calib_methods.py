"""Activation calibration methods compared on the digits examples (held-out digits):
top-1 of the integer model (bit-exact C == simulator) and output SQNR vs float, for each
observer, `--calib-method auto`, and data-free `--calib synthetic` (minmax on 64 ZeroQ
inputs; the real calibration set is not used).

    .venv/bin/python benchmarks/calib_methods.py [--examples digits,digits_jitter]
        [--out benchmarks/results_calib.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.quant.observers import METHODS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MODELS = {"digits": "digits_cnn.pt2", "digits_jitter": "digits_jitter.pt2"}
# (row label, --calib, --calib-method); None: the example's calib.npy
ROWS = ([(m, None, m) for m in METHODS] + [("auto", None, "auto"),
                                            ("synthetic (data-free)", "synthetic", "minmax")])


def example_table(name: str, tmp: Path) -> list[str]:
    folder = EXAMPLES / name
    x, y = np.load(folder / "test_x.npy"), np.load(folder / "test_y.npy")
    lines = []
    float_top1 = None
    for label, calib, method in ROWS:
        out = tmp / f"{name}_{method}_{calib}"
        start = time.perf_counter()
        convert_model(folder / MODELS[name], out,
                      ConvertOptions(calib=calib or folder / "calib.npy", calib_method=method))
        seconds = time.perf_counter() - start
        r = Project(out).test(x, y)
        float_top1 = r.float_top1
        lines.append(f"| {label} | {100 * r.int_top1:.2f} % | {r.sqnr_db:.2f} | "
                     f"{r.bit_exact} | {seconds:.1f} |")
        print(name, lines[-1], flush=True)
    head = [f"## {name}", "", f"`examples/{name}/{MODELS[name]}`, float top-1 "
            f"{100 * float_top1:.2f} % on {len(y)} held-out digits.", "",
            "| method | int8 top-1 | output SQNR dB | bit-exact | convert s |",
            "|---|---|---|---|---|"]
    return head + lines + [""]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default="digits,digits_jitter")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.examples.split(","):
            lines += example_table(name, Path(tmp))
    if args.out:
        args.out.write_text(
            "# Calibration methods on the digits examples\n\nProduced by `python "
            "benchmarks/calib_methods.py " + " ".join(argv) + "`. `auto` picks per tensor "
            "among the four observers by the output error on 64 calibration samples; "
            "`synthetic` calibrates (minmax) on 64 inputs synthesised from the BatchNorm "
            "statistics, without the calibration set. Convert seconds include the host "
            "being shared with other jobs (2 cores).\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
