"""Mixed int4 / int8 weights (`--weights mixed`) on both digits examples: a flash-budget
sweep from 40 % to 100 % of the all-int8 weight flash.

Per budget: the ILP's choice (HAWQ-V3 proxy, the default), its weight flash (exact bytes
of the generated project), top-1 and output SQNR of the integer simulator on the held-out
test set (the generated C is bit-exact with it: tests/models/test_mixed.py), the
estimated instructions per inference on qemu-m4 (targets/costs/qemu-m4.json), and, as an
ablation, top-1 when the ILP weighs each layer by its *measured* int4-alone output error
instead of the proxy. Budgets below the all-int4 flash are infeasible and say so.
With --qemu, the 60 % choice of each example also runs as qemu-m4 firmware (one input):
bit-exact check and the exact instruction count next to the estimate.

    .venv/bin/python benchmarks/mixed_digits.py [--qemu]    # -> benchmarks/results_mixed.md
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinyq.frontend.load import load_model
from tinyq.metrics import sqnr_db, top1
from tinyq.pipeline import ConvertOptions, convert_model, float_graph
from tinyq.project import Project
from tinyq.quant.bit_variants import quantize_variants
from tinyq.quant.calibrate import calibrate
from tinyq.quant.latency import load_costs
from tinyq.quant.mixed import Problem, build_problem, parse_flash_budget, run_milp, solve
from tinyq.quant.sensitivity import layer_sensitivities
from tinyq.sim.float_exec import run_float
from tinyq.sim.interpreter import run_int_output
from tinyq.sim.layout import to_ir_layout
from tinyq.targets import load_target

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUNS = {"digits": "digits_cnn.pt", "digits_jitter": "digits_jitter.pt2"}
BUDGETS = ("40%", "50%", "60%", "70%", "80%", "90%", "100%")
QEMU_BUDGET = "60%"


def evaluate(graph, x: np.ndarray, y: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(to_ir_layout(x))
    yq = run_int_output(graph, xq)
    deq = graph.tensors[graph.outputs[0]].qparams.dequantize(yq)
    return float(np.mean(top1(yq) == y)), sqnr_db(ref, deq)


def measured_choice(problem: Problem, budget: int) -> dict[str, int] | None:
    """The ablation: the same ILP with each layer's int4-alone output MSE as its cost."""
    cost = np.array([problem.sens[c.name].int4_alone_mse for c in problem.layers])
    return run_milp(problem, cost / max(float(cost.max()), 1e-30), budget, None)


def qemu_count(example: str, bits: dict[str, int], x: np.ndarray,
               work: Path) -> tuple[bool, int]:
    """The choice as qemu-m4 firmware on one input: (bit-exact, instructions). Converted
    with every layer pinned by --weights-config, which quantizes exactly as the mix."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "bits.json"
    config.write_text(json.dumps({k: f"int{b}" for k, b in bits.items()}))
    here = EXAMPLES / example
    out = convert_model(here / RUNS[example], work / "project",
                        ConvertOptions(calib=here / "calib.npy", weights_config=config,
                                       target="qemu-m4", force=True)).out_dir
    project = Project(out)
    run = project.run_target("qemu-m4", project.quantize_input(x[:1]))
    return run.bit_exact, run.instructions()[0]


def sweep(example: str, qemu: bool, work: Path) -> list[str]:
    here = EXAMPLES / example
    model = load_model(here / RUNS[example])
    calib = np.load(here / "calib.npy")
    x, y = np.load(here / "test_x.npy"), np.load(here / "test_y.npy")
    graph = float_graph(model, calib, (1, *calib.shape[1:]))
    variants = quantize_variants(graph, calibrate(graph, calib), calib)
    costs = load_costs(load_target("qemu-m4"))
    problem = build_problem(variants, {}, costs)
    problem = replace(problem, sens={s.name: s for s in layer_sensitivities(variants, calib)})
    ref = run_float(graph, to_ir_layout(x))
    int8 = problem.flash(problem.uniform(8))
    float_top1 = float(np.mean(top1(ref) == y))
    lines = [f"## examples/{example}", "",
             f"Float top-1 {100 * float_top1:.2f} %; all-int8 weight flash {int8:,} B, "
             f"all-int4 {problem.flash(problem.uniform(4)):,} B.", "",
             "| budget | budget B | flash B | int4 layers | top-1 | SQNR dB | proxy | "
             "est. qemu-m4 instructions | top-1, ILP on measured error |",
             "|---|---|---|---|---|---|---|---|---|"]
    smallest = problem.flash(problem.uniform(4))
    rows = [(text, parse_flash_budget(text, int8)) for text in BUDGETS]
    rows.append((f"all int4 ({100 * smallest / int8:.1f}%)", smallest))
    for text, budget in sorted(rows, key=lambda r: r[1]):
        bits = solve(problem, budget, None)
        if bits is None:
            lines.append(f"| {text} | {budget:,} | infeasible (smallest {smallest:,} B) "
                         "| | | | | | |")
            print(lines[-1], flush=True)
            continue
        acc, sqnr = evaluate(variants.compose(bits), x, y, ref)
        alt = measured_choice(problem, budget)
        alt_acc = evaluate(variants.compose(alt), x, y, ref)[0]
        int4 = sum(1 for b in bits.values() if b == 4)
        lines.append(f"| {text} | {budget:,} | {problem.flash(bits):,} | {int4} of "
                     f"{len(bits)} | {100 * acc:.2f} % | {sqnr:.2f} | {problem.proxy(bits):.4g}"
                     f" | {problem.instructions(bits):,} | {100 * alt_acc:.2f} % |")
        print(lines[-1], flush=True)
    chosen = solve(problem, parse_flash_budget(QEMU_BUDGET, int8), None)
    names = {c.name: c.source for c in problem.layers}
    lines += ["", f"Choice at {QEMU_BUDGET}: int4 for "
              + ", ".join(f"`{names[n]}`" for n, b in chosen.items() if b == 4) + "."]
    if qemu:
        exact, count = qemu_count(example, chosen, x, work / example)
        lines += ["", f"qemu-m4 firmware of the {QEMU_BUDGET} choice: bit-exact "
                  f"{'yes' if exact else 'NO'}, {count:,} instructions per inference "
                  f"(estimate {problem.instructions(chosen):,}, "
                  f"{100 * (problem.instructions(chosen) / count - 1):+.1f} %)."]
        print(lines[-1], flush=True)
    return lines + [""]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qemu", action="store_true")
    args = parser.parse_args(argv)
    out = Path(__file__).resolve().parent / "results_mixed.md"
    command = " ".join([".venv/bin/python benchmarks/mixed_digits.py", *argv])
    text = ["# Mixed int4 / int8 weights on the digits examples (450 held-out digits each)",
            "", f"Produced by `{command}`.", "",
            "Budget: share of the all-int8 weight flash (`--flash-budget`). Flash: the "
            "exact weight bytes of the generated project (report.json `weight_bytes`). "
            "Top-1 / SQNR: integer simulator on the test set, SQNR of the dequantized "
            "output against float. Proxy: sum of the chosen HAWQ-V3 perturbations. "
            "Instructions: the qemu-m4 kernel cost table's estimate (both widths run the "
            "DSP kernels). Last column: "
            "the ILP weighing layers by their measured int4-alone output error instead.",
            ""]
    with tempfile.TemporaryDirectory() as tmp:
        for example in RUNS:
            text += sweep(example, args.qemu, Path(tmp))
    out.write_text("\n".join(text))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
