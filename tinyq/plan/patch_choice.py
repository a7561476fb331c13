"""Which patch plan a conversion uses (`--patch off|auto|LAYER:N`, `--max-mac-overhead`,
`--sram-budget`), decided on real arena plans of the rewritten graph.

The estimates of plan/patch.py rank the candidates cheaply; the best few are rewritten
(plan/patch_exec.py) and planned for real with the target's kernel scratch, and the real
numbers decide. `auto` keeps whole-tensor execution unless patches lower the arena.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tinyq.errors import TinyqError
from tinyq.ir import Graph
from tinyq.ops import op_of
from tinyq.plan.arena import Plan
from tinyq.plan.patch import candidates, mac_overhead
from tinyq.plan.patch_exec import rewrite_for_patches

Planner = Callable[[Graph], Plan]  # graph -> arena plan (with the target's scratch)
REAL_TRIALS = 6  # candidates planned for real, best estimates first


@dataclass(frozen=True)
class PatchOptions:
    mode: str = "auto"  # "off", "auto" or "LAYER:N"
    max_mac_overhead: float = 0.10
    sram_budget: int | None = None


@dataclass
class Planned:
    graph: Graph
    plan: Plan
    summary: dict  # what the report says about patches


def total_macs(graph: Graph) -> int:
    return sum(op_of(n).macs(n, graph) for n in graph.nodes)


def parse_mode(mode: str, graph: Graph) -> tuple[str, int] | None:
    """None for off / auto, else (split tensor, n) of LAYER:N."""
    if mode in ("off", "auto"):
        return None
    layer, sep, count = mode.rpartition(":")
    if not sep or not count.isdigit() or int(count) < 1:
        raise TinyqError(f"--patch '{mode}': expected off, auto or LAYER:N (e.g. "
                         "conv2d_3:4)")
    node = next((n for n in graph.nodes if layer in (n.name, n.output, n.source)), None)
    if node is None:
        raise TinyqError(f"--patch '{mode}': no layer '{layer}' (see the layer names in "
                         "report.md or `tinyq inspect`)")
    return node.output, int(count)


def plan_with_patches(graph: Graph, opts: PatchOptions, planner: Planner) -> Planned:
    if opts.max_mac_overhead < 0:
        raise TinyqError(f"--max-mac-overhead {opts.max_mac_overhead}: must be >= 0")
    base_plan = planner(graph)
    base_macs = total_macs(graph)
    summary = {"mode": opts.mode, "split": None, "n": 1, "mac_overhead": 0.0,
               "macs": base_macs, "whole_tensor_macs": base_macs,
               "arena_without_patches_bytes": base_plan.arena_size}
    base = Planned(graph, base_plan, summary)
    fixed = parse_mode(opts.mode, graph)
    if opts.mode == "off":
        return check_budget(base, opts, [base])
    if fixed is not None:
        trials = [fixed]
    else:
        ranked = sorted((p for p in candidates(graph)
                         if p.mac_overhead <= opts.max_mac_overhead + 1e-12),
                        key=lambda p: (p.peak_bytes, p.macs, p.n))
        trials = [(p.split, p.n) for p in ranked[:REAL_TRIALS]]
    tried = [base] if fixed is None else []
    for split, n in trials:
        patched = rewrite_for_patches(graph, split, n)
        macs = total_macs(patched)
        tried.append(Planned(patched, planner(patched), {
            **summary, "split": split, "n": n, "macs": macs,
            "mac_overhead": mac_overhead(macs, base_macs)}))
    if fixed is not None:
        return check_budget(tried[0], opts, tried)
    within = [t for t in tried if t.summary["mac_overhead"] <= opts.max_mac_overhead + 1e-12]
    if opts.sram_budget is not None:
        fitting = [t for t in within if t.plan.arena_size <= opts.sram_budget]
        if fitting:
            return min(fitting, key=lambda t: (t.summary["macs"], t.plan.arena_size))
    best = min(within, key=lambda t: (t.plan.arena_size, t.summary["macs"]))
    return check_budget(best, opts, within)


def check_budget(chosen: Planned, opts: PatchOptions, tried: list[Planned]) -> Planned:
    if opts.sram_budget is not None and chosen.plan.arena_size > opts.sram_budget:
        smallest = min(t.plan.arena_size for t in tried)
        raise TinyqError(f"--sram-budget {opts.sram_budget:,} B: no plan fits; the smallest "
                         f"arena found is {smallest:,} B (--patch {opts.mode}, "
                         f"--max-mac-overhead {opts.max_mac_overhead:g})")
    return chosen
