"""Mixed int4 / int8 weights chosen by an integer linear program (HAWQ-V3 style).

Takes BitVariants (the graph quantized all-int8 and all-int4), the calibration batch (for
the per-layer sensitivities of quant/sensitivity.py), a flash budget, optionally an
instruction budget with the target's cost table (quant/latency.py), and layers the user
pinned with --weights-config; gives the bit width of every weighted layer, its quantized
graph, and a Pareto curve of flash against the proxy and the measured output SQNR.

The program, with x_l = 1 when layer l gets int4 weights:
    minimise    sum_l Omega_l(8) + x_l * (Omega_l(4) - Omega_l(8))
    subject to  fixed + sum_l F_l(8) + x_l * (F_l(4) - F_l(8)) <= flash budget
                fixed_i + sum_l I_l(8) + x_l * (I_l(4) - I_l(8)) <= instruction budget
                x_l = pinned value, for layers the config names;  x_l in {0, 1}
F_l(b) are the exact bytes layer l's kernel call emits at b bits (op.weight_bytes: packed
weights, bias, multipliers, shifts) and `fixed` the constants of the layers without
weights, so the budget bounds the project's whole weight flash (report.json
weight_bytes) to the byte. Solved by scipy.optimize.milp (HiGHS), exactly.

No layers are tied to one width: only weights change precision; every activation stays
int8 with the same calibrated parameters, and each layer's kernel (s8 or s8s4) reads and
writes the same int8 tensors, so any mix is valid, including across a residual join.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from tinyq.errors import TinyqError
from tinyq.ir import Graph
from tinyq.quant.bit_variants import BitVariants
from tinyq.quant.latency import CostTable
from tinyq.quant.sensitivity import (PROBES, SAMPLES, LayerSensitivity, layer_sensitivities,
                                     output_error, trace_method)
from tinyq.sim.float_exec import run_float
from tinyq.sim.layout import to_ir_layout

PARETO_POINTS = 13


@dataclass(frozen=True)
class MixedOptions:
    flash_budget: str  # bytes ("12000"), a fraction ("0.6") or a percentage ("60%")
    latency_budget: int | None = None  # instructions per inference on the target
    pareto_points: int = PARETO_POINTS


@dataclass(frozen=True)
class LayerCost:
    name: str
    source: str
    op: str
    flash: dict[int, int]  # bits -> bytes
    instructions: dict[int, int] | None  # bits -> estimated instructions (cost table)
    pinned: int | None  # bits set by --weights-config


@dataclass(frozen=True)
class Problem:
    layers: list[LayerCost]
    fixed_bytes: int  # constants of the layers without weights
    fixed_instructions: int | None
    # Filled after the budget is known to be feasible (the sensitivities are the slow part).
    sens: dict[str, LayerSensitivity] = field(default_factory=dict)

    def flash(self, bits: dict[str, int]) -> int:
        return self.fixed_bytes + sum(c.flash[bits[c.name]] for c in self.layers)

    def proxy(self, bits: dict[str, int]) -> float:
        return sum(self.sens[c.name].omega(bits[c.name]) for c in self.layers)

    def instructions(self, bits: dict[str, int]) -> int | None:
        if self.fixed_instructions is None:
            return None
        return self.fixed_instructions + sum(c.instructions[bits[c.name]]
                                             for c in self.layers)

    def uniform(self, width: int) -> dict[str, int]:
        """Every free layer at `width`, pinned layers as pinned."""
        return {c.name: c.pinned or width for c in self.layers}

    def omega_cost(self) -> np.ndarray:
        """The objective per x_l: Omega_l(4) - Omega_l(8), scaled to at most 1 (HiGHS
        prefers coefficients near 1; the scale does not move the optimum)."""
        cost = np.array([self.sens[c.name].omega(4) - self.sens[c.name].omega(8)
                         for c in self.layers], dtype=np.float64)
        top = float(np.max(np.abs(cost))) if cost.size else 0.0
        return cost / top if top > 0 else cost


@dataclass
class ParetoPoint:
    budget_bytes: int
    flash_bytes: int
    proxy: float
    sqnr_db: float
    instructions: int | None
    bits: dict[str, int]


@dataclass
class MixedResult:
    graph: Graph
    bits: dict[str, int]
    budget_bytes: int
    latency_budget: int | None
    problem: Problem
    pareto: list[ParetoPoint] = field(default_factory=list)

    def as_report(self) -> dict[str, Any]:
        p = self.problem
        chosen = self.bits
        return {
            "flash_budget_bytes": self.budget_bytes,
            "flash_bytes": p.flash(chosen),
            "int8_flash_bytes": p.flash({c.name: 8 for c in p.layers}),
            "int4_flash_bytes": p.flash({c.name: 4 for c in p.layers}),
            "latency_budget": self.latency_budget,
            "instructions_estimate": p.instructions(chosen),
            "proxy": p.proxy(chosen),
            "sensitivity": {"loss": "1/2 mean ||f(x) - f_float(x)||^2 on the calibration "
                                    "samples (pseudo-labels)",
                            "hutchinson_probes": PROBES, "samples": SAMPLES,
                            "trace_method": trace_method(len(p.layers))},
            "layers": [layer_report(c, p.sens[c.name], chosen[c.name]) for c in p.layers],
            "pareto": [{"budget_bytes": q.budget_bytes, "flash_bytes": q.flash_bytes,
                        "proxy": q.proxy, "sqnr_db": finite(q.sqnr_db),
                        "instructions": q.instructions,
                        "int4_layers": sorted(k for k, b in q.bits.items() if b == 4)}
                       for q in self.pareto],
        }


def layer_report(c: LayerCost, s: LayerSensitivity, bits: int) -> dict[str, Any]:
    return {"name": c.name, "source": c.source, "op": c.op, "bits": bits,
            "pinned": c.pinned, "params": s.params, "hessian_trace": s.hessian_trace,
            "omega": {str(b): s.omega(b) for b in (4, 8)},
            "int4_alone_mse": s.int4_alone_mse,
            "int4_alone_sqnr_db": finite(s.int4_alone_sqnr_db),
            "flash_bytes": {str(b): c.flash[b] for b in (4, 8)},
            "instructions": (None if c.instructions is None else
                             {str(b): c.instructions[b] for b in (4, 8)})}


def finite(v: float) -> float | None:
    """JSON has no infinity: an error-free output's SQNR is written as null."""
    return None if not np.isfinite(v) else float(v)


def parse_flash_budget(text: str, int8_bytes: int) -> int:
    """'12000' -> bytes; '0.6' or '60%' -> that share of the all-int8 weight flash."""
    s = str(text).strip()
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(%?)", s)
    if not m:
        raise TinyqError(f"--flash-budget '{text}': give bytes (12000), a fraction of the "
                         "int8 weight flash (0.6) or a percentage (60%)")
    value = float(m.group(1))
    if m.group(2):
        return int(np.floor(int8_bytes * value / 100.0))
    if value <= 1.0:
        return int(np.floor(int8_bytes * value))
    if value != int(value):
        raise TinyqError(f"--flash-budget '{text}': a byte count must be whole; a share "
                         "of the int8 weight flash is at most 1 (or give a percentage)")
    return int(value)


def solve(problem: Problem, budget: int, latency: int | None) -> dict[str, int] | None:
    """The least-proxy bits within both budgets, or None when none fits."""
    return run_milp(problem, problem.omega_cost(), budget, latency)


def run_milp(problem: Problem, cost: np.ndarray, budget: int | None,
             latency: int | None) -> dict[str, int] | None:
    layers = problem.layers
    if not layers:
        return {}
    base = {c.name: 8 for c in layers}  # x = 0 everywhere; pins go in the bounds
    rows, upper = [], []
    if budget is not None:
        rows.append([c.flash[4] - c.flash[8] for c in layers])
        upper.append(budget - problem.flash(base))
    if latency is not None:
        rows.append([c.instructions[4] - c.instructions[8] for c in layers])
        upper.append(latency - problem.instructions(base))
    lo = [1.0 if c.pinned == 4 else 0.0 for c in layers]
    hi = [0.0 if c.pinned == 8 else 1.0 for c in layers]
    constraints = ([LinearConstraint(np.array(rows, dtype=np.float64), -np.inf,
                                     np.array(upper, dtype=np.float64))] if rows else [])
    # mip_rel_gap 0: HiGHS stops at a proven optimum, not within its default 0.01 %
    res = milp(cost, integrality=np.ones(len(layers)), bounds=Bounds(lo, hi),
               constraints=constraints, options={"mip_rel_gap": 0.0})
    if res.x is None:
        return None
    bits = {c.name: 4 if x > 0.5 else 8 for c, x in zip(layers, res.x)}
    # HiGHS works in floating point; the budgets are whole bytes / instructions and must
    # hold exactly, so the rounded answer is checked in integers.
    if budget is not None and problem.flash(bits) > budget:
        raise AssertionError(f"milp answer breaks the flash budget: {problem.flash(bits)} B")
    if latency is not None and problem.instructions(bits) > latency:
        raise AssertionError("milp answer breaks the instruction budget")
    return bits


def infeasible(problem: Problem, budget: int, latency: int | None) -> TinyqError:
    """Why nothing fits, with the smallest flash (within the latency budget) tinyq can do."""
    pins = "" if not any(c.pinned for c in problem.layers) else " (and the --weights-config pins)"
    if latency is not None:
        fastest = run_milp(problem, np.array([c.instructions[4] - c.instructions[8]
                                              for c in problem.layers], dtype=np.float64),
                           None, None)
        least = problem.instructions(fastest)
        if least > latency:
            return TinyqError(f"--latency-budget {latency:,} instructions cannot be met: the "
                              f"fastest choice{pins} takes {least:,} (estimated from "
                              "the target's kernel cost table)")
        smallest = run_milp(problem, np.array([c.flash[4] - c.flash[8]
                                               for c in problem.layers], dtype=np.float64),
                            None, latency)
        return TinyqError(f"--flash-budget {budget:,} B cannot be met within --latency-budget "
                          f"{latency:,}: the smallest weight flash achievable is "
                          f"{problem.flash(smallest):,} B")
    least = problem.flash(problem.uniform(4))
    return TinyqError(f"--flash-budget {budget:,} B is below the smallest weight flash "
                      f"achievable, {least:,} B (every layer int4{pins})")


def build_problem(variants: BitVariants, pinned: dict[str, int],
                  costs: CostTable | None) -> Problem:
    """Flash (exact) and instructions (estimated) of every weighted layer at both widths."""
    graph = variants.float_graph
    layers = []
    for node in graph.nodes:
        if node.name not in variants.layers:
            continue
        instr = None if costs is None else {b: costs.layer(node, graph, b) for b in (4, 8)}
        layers.append(LayerCost(node.name, node.source, node.op,
                                {b: variants.weight_bytes(node.name, b) for b in (4, 8)},
                                instr, pinned.get(node.name)))
    fixed_i = None if costs is None else costs.fixed(graph)
    return Problem(layers, variants.fixed_bytes(), fixed_i)


def choose_bits(variants: BitVariants, calib: np.ndarray, opts: MixedOptions,
                pinned: dict[str, int], costs: CostTable | None) -> MixedResult:
    """1. cost every layer at both widths; 2. parse the budget against all-int8 flash;
    3. fail now, naming what is achievable, if nothing fits; 4. measure the layers'
    sensitivities; 5. solve; 6. sweep the budget for the Pareto curve."""
    problem = build_problem(variants, pinned, costs)
    budget = parse_flash_budget(opts.flash_budget,
                                problem.flash({c.name: 8 for c in problem.layers}))
    zero = np.zeros(len(problem.layers))
    if run_milp(problem, zero, budget, opts.latency_budget) is None:
        raise infeasible(problem, budget, opts.latency_budget)
    sens = {s.name: s for s in layer_sensitivities(variants, calib)}
    problem = replace(problem, sens=sens)
    bits = solve(problem, budget, opts.latency_budget)
    if bits is None:
        raise AssertionError("milp: a feasible budget became infeasible")
    curve = pareto(variants, problem, calib, opts, budget)
    return MixedResult(variants.compose(bits), bits, budget, opts.latency_budget, problem,
                       curve)


def pareto(variants: BitVariants, problem: Problem, calib: np.ndarray,
           opts: MixedOptions, budget: int) -> list[ParetoPoint]:
    """The ILP over evenly spaced flash budgets from the smallest (int4 wherever free) to
    the largest (int8 wherever free), plus the user's `budget` so the choice is on the
    curve; each distinct answer simulated once on the calibration samples for its SQNR."""
    x = to_ir_layout(np.asarray(calib[:SAMPLES], dtype=np.float32))
    float_out = run_float(variants.float_graph, x)
    lo, hi = problem.flash(problem.uniform(4)), problem.flash(problem.uniform(8))
    budgets = {int(round(b)) for b in np.linspace(lo, hi, opts.pareto_points)}
    measured: dict[tuple[int, ...], float] = {}
    points = []
    for point in sorted(budgets | {min(max(budget, lo), hi)}):
        bits = solve(problem, point, opts.latency_budget)
        if bits is None:
            continue
        key = tuple(bits[c.name] for c in problem.layers)
        if key not in measured:
            measured[key] = output_error(variants.compose(bits), x, float_out)[1]
        points.append(ParetoPoint(point, problem.flash(bits), problem.proxy(bits),
                                  measured[key], problem.instructions(bits), bits))
    return points
