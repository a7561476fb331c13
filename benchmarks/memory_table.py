"""Arena per zoo model: lower bound, without in-place, with in-place, with patches.

Host target (no kernel scratch), int8, `--patch auto` with the default 10% MAC budget. The
patched plan's own lower bound is in brackets.

    .venv/bin/python benchmarks/memory_table.py [--out benchmarks/results_memory.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tinyq.pipeline import quantized_graph
from tinyq.plan.arena import plan_arena
from tinyq.plan.patch_choice import PatchOptions, plan_with_patches
from tinyq.zoo import ZOO, build, example_input

HEAD = ["model", "lower bound B", "without in-place B", "with in-place B",
        "layers in place (by rows)", "with patches B (its lower bound)", "split:n",
        "extra MACs", "TFLM B", "in-place / TFLM"]
# TensorFlow Lite Micro's arena for the MLPerf Tiny reference models (the memory issue's
# figures: its Cortex-M4 build under QEMU, activations + interpreter bookkeeping).
TFLM = {"mobilenet_v1_vww": 100_660, "resnet8": 54_340, "ds_cnn": 22_772,
        "fc_autoencoder": 2_260}


def row(name: str) -> list[str]:
    x = example_input(name, 8, 0).numpy()
    graph = quantized_graph(build(name, 0), x, (1, *x.shape[1:]))
    base = plan_arena(graph)
    patched = plan_with_patches(graph, PatchOptions("auto"), plan_arena)
    s = patched.summary
    tflm = TFLM.get(name)
    return [name, f"{base.lower_bound:,}", f"{base.arena_without_inplace:,}",
            f"{base.arena_size:,}", f"{len(base.roots.inplace)} ({len(base.roots.rows)})",
            f"{patched.plan.arena_size:,} ({patched.plan.lower_bound:,})",
            f"{s['split'] or '-'}:{s['n']}", f"{100 * s['mac_overhead']:.1f}%",
            f"{tflm:,}" if tflm else "-", f"{base.arena_size / tflm:.2f}x" if tflm else "-"]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for name in sorted(ZOO):
        lines.append("| " + " | ".join(row(name)) + " |")
        print(lines[-1], flush=True)
    if args.out:
        args.out.write_text("# Arena per zoo model\n\nProduced by `python benchmarks/"
                            "memory_table.py " + " ".join(argv) + "` (host target: no kernel "
                            "scratch; int8; `--patch auto`, 10% MAC budget).\n\n"
                            + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
