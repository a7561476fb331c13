"""Instructions per inference from a measured kernel cost table, per layer and bit width.

Takes a target name and a graph; gives the estimated instructions of each weighted layer
at int8 and at int4 weights, and of the rest of the graph (which the weight bit width
does not change). Relies on targets/costs/<target>.json, written by
benchmarks/kernel_costs.py from exact QEMU counts of a probe network:
    weighted op, bits b:  per_mac[b] * MACs + per_tap[b] * outputs * taps
                          + per_output[b] * outputs + per_call[b]
    any other op:         per_input_element[op] * input elements
An op the table has not measured (without weights) is charged the table's largest
per-element cost, so an estimate errs towards more instructions, never fewer.
The estimate is a fit, not a count: the table states its worst error on the probe.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node
from tinyq.ops import op_of
from tinyq.targets import Target, load_target, targets_dir

COSTS_DIR = targets_dir() / "costs"


COEFFICIENTS = ("per_mac", "per_tap", "per_output", "per_call")


def kernel_taps(node: Node) -> int:
    """Kernel window positions per output: each starts an inner loop over channels (and
    for the first layer, with one input channel, that overhead is most of the work)."""
    kernel = node.attrs.get("kernel", (1, 1))
    return int(kernel[0] * kernel[1])


def cost_features(macs: int, outputs: int, taps: int) -> tuple[float, ...]:
    """The regressors of the cost model, in the order of COEFFICIENTS."""
    return float(macs), float(outputs * taps), float(outputs), 1.0


@dataclass(frozen=True)
class CostTable:
    target: str
    path: Path
    weighted: dict[str, dict[int, tuple[float, ...]]]  # op -> bits -> coefs
    per_input_element: dict[str, float]
    max_rel_error: float  # worst fit error over the probe's layers

    def layer(self, node: Node, graph: Graph, bits: int) -> int:
        """Estimated instructions of a weighted node at `bits` weight bits."""
        coefs = self.weighted.get(node.op, {}).get(bits)
        if coefs is None:
            raise TinyqError(f"--latency-budget: the cost table {self.path} has no entry for "
                             f"{node.op} with int{bits} weights ({node.where()}); "
                             f"regenerate it with benchmarks/kernel_costs.py --target "
                             f"{self.target}")
        op = op_of(node)
        outputs = graph.tensors[node.output].size
        feats = cost_features(op.macs(node, graph), outputs, kernel_taps(node))
        return int(round(sum(c * f for c, f in zip(coefs, feats))))

    def fixed(self, graph: Graph) -> int:
        """Estimated instructions of every layer without weights (aliases cost nothing)."""
        fallback = max(self.per_input_element.values(), default=0.0)
        total = 0.0
        for node in graph.nodes:
            op = op_of(node)
            if op.weighted or op.is_alias:
                continue
            elements = sum(graph.tensors[t].size for t in node.inputs)
            total += self.per_input_element.get(node.op, fallback) * elements
        return int(math.ceil(total))


def load_costs(target: Target) -> CostTable:
    """The target's own table, else one measured on a target with the same CPU and ISA
    features (a board and its QEMU stand-in run the same instructions: an STM32F4 uses
    qemu-m4's table)."""
    path = COSTS_DIR / f"{target.name}.json"
    if not path.is_file():
        path = next((p for p in sorted(COSTS_DIR.glob("*.json")) if same_core(p.stem, target)),
                    path)
    if not path.is_file():
        have = sorted(p.stem for p in COSTS_DIR.glob("*.json")) if COSTS_DIR.is_dir() else []
        raise TinyqError(f"--latency-budget: no kernel cost table for target "
                         f"'{target.name}' ({target.cpu}; measured tables: "
                         f"{', '.join(have) or 'none'}). Measure one with "
                         f"benchmarks/kernel_costs.py --target <an emulated target with "
                         "this CPU>, or drop --latency-budget")
    doc: dict[str, Any] = json.loads(path.read_text())
    weighted = {op: {int(bits): tuple(c[k] for k in COEFFICIENTS)
                     for bits, c in by_bits.items()}
                for op, by_bits in doc["weighted"].items()}
    worst = max((c["max_rel_error"] for by_bits in doc["weighted"].values()
                 for c in by_bits.values()), default=0.0)
    return CostTable(doc["target"], path, weighted, dict(doc["per_input_element"]), worst)


def same_core(name: str, target: Target) -> bool:
    try:
        other = load_target(name)
    except TinyqError:
        return False
    return (other.cpu, other.isa_features) == (target.cpu, target.isa_features)
