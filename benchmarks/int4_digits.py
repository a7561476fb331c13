"""Accuracy of the digits example (examples/digits) with int8 and int4 weights.

Float, int8, int4 with plain max scaling, int4 with the MSE clipping search, each int4
row with and without bias correction, int4 (MSE clipping) with learned rounding
(AdaRound, --optimize-rounding, 1000 iterations per layer) without and with bias
correction, and int4 everywhere but the first and last layer (a per-layer config).
Seconds: quantized_graph (capture, calibration, quantization, learned rounding) on the
machine it ran on, shared with other jobs. Accuracy is the integer simulator's top-1 on test_x.npy (the C
is bit-exact with it: tests/models/test_int4.py); weight bytes are the flash constants
of the weighted layers (packed int4 weights + int32 bias + multipliers + shifts).
Writes benchmarks/results_int4.md (or results_int4_jitter.md for the harder
examples/digits_jitter), keeping any notes below the table. Run:
.venv/bin/python benchmarks/int4_digits.py [digits_jitter]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from tinyq.frontend.load import load_model
from tinyq.metrics import sqnr_db, top1
from tinyq.ops import op_of
from tinyq.pipeline import quantized_graph
from tinyq.quant.weight_config import WeightOptions
from tinyq.sim.float_exec import run_float
from tinyq.sim.interpreter import run_int_output
from tinyq.sim.layout import to_ir_layout

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# example directory -> (model file, results file)
RUNS = {"digits": ("digits_cnn.pt", "results_int4.md"),
        "digits_jitter": ("digits_jitter.pt2", "results_int4_jitter.md")}

VARIANTS = [
    ("int8", WeightOptions("int8")),
    ("int4, max scaling", WeightOptions("int4", int4_clip="max", bias_correction=False)),
    ("int4, max scaling + bias correction", WeightOptions("int4", int4_clip="max")),
    ("int4, MSE clipping", WeightOptions("int4", bias_correction=False)),
    ("int4, MSE clipping + bias correction", WeightOptions("int4")),
    ("int4, AdaRound", WeightOptions("int4", optimize_rounding=True)),
    ("int4, AdaRound + bias correction",
     WeightOptions("int4", bias_correction=True, optimize_rounding=True)),
]


def first_last_int8_config(tmp: Path) -> Path:
    path = tmp / "first_last_int8.toml"
    path.write_text('"stem.0" = "int8"\nclassifier = "int8"\n')
    return path


def evaluate(model: torch.nn.Module, calib: np.ndarray, x: np.ndarray, y: np.ndarray,
             opts: WeightOptions) -> tuple[float, float, int, float, float]:
    start = time.perf_counter()
    graph = quantized_graph(model, calib, (1, *calib.shape[1:]), "minmax", opts)
    seconds = time.perf_counter() - start
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(to_ir_layout(x))
    yq = run_int_output(graph, xq)
    out_q = graph.tensors[graph.outputs[0]].qparams
    ref = run_float(graph, to_ir_layout(x))
    weight_bytes = sum(op_of(n).weight_bytes(n, graph) for n in graph.nodes
                       if op_of(n).weighted)
    return (float(np.mean(top1(yq) == y)), sqnr_db(ref, out_q.dequantize(yq)), weight_bytes,
            float(np.mean(top1(ref) == y)), seconds)


def notes_below_table(path: Path) -> list[str]:
    """Hand-written notes after the results table (e.g. firmware runs), kept on rewrite."""
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("| weights |")), None)
    if header is None:
        return []
    end = next((i for i in range(header, len(lines)) if not lines[i].startswith("|")),
               len(lines))
    return lines[end + 1:]


def main(argv: list[str]) -> None:
    example = argv[0] if argv else "digits"
    if example not in RUNS:
        raise SystemExit(f"unknown example '{example}': choose from {', '.join(RUNS)}")
    here = EXAMPLES / example
    model_file, out_name = RUNS[example]
    out = Path(__file__).resolve().parent / out_name
    model = load_model(here / model_file)
    calib = np.load(here / "calib.npy")
    x, y = np.load(here / "test_x.npy"), np.load(here / "test_y.npy")
    variants = VARIANTS + [("int4, first and last layer int8 (--weights-config)",
                            WeightOptions("int4", first_last_int8_config(out.parent)))]
    rows = []
    float_acc = None
    for label, opts in variants:
        acc, sqnr, wbytes, float_acc, seconds = evaluate(model, calib, x, y, opts)
        rows.append(f"| {label} | {100 * acc:.2f} % | {sqnr:.2f} | {wbytes:,} | "
                    f"{seconds:.1f} |")
        print(rows[-1], flush=True)
    (out.parent / "first_last_int8.toml").unlink()
    command = "benchmarks/int4_digits.py" + (f" {example}" if argv else "")
    text = [f"# int4 weights on examples/{example} ({x.shape[0]} held-out digits)", "",
            f"Produced by `.venv/bin/python {command}`. Accuracy is top-1 of "
            "the integer simulator (bit-exact with the generated C); SQNR of the dequantized "
            "output against the float model; weight bytes are the flash constants of the "
            "conv / linear layers (weights, bias, multipliers, shifts); seconds are the "
            "quantization's (capture to integer graph, learned rounding included) on a "
            "2-core machine shared with other jobs.", "",
            "| weights | top-1 | output SQNR dB | weight bytes | seconds |",
            "|---|---|---|---|---|",
            f"| float | {100 * float_acc:.2f} % | | | |", *rows, ""]
    notes = notes_below_table(out)
    text += notes + ([""] if notes and notes[-1] else [])
    out.write_text("\n".join(text))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
