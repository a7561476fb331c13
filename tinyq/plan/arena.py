"""Static arena placement: buffers with sizes and lifetimes -> offsets, arena size.

All planners share one signature, `(buffers) -> {name: offset}`. `place_separately` (every
buffer its own region) is the baseline the others are tested against. `place_greedy`
places buffers one by one, in a given order, at the lowest offset that clashes with no
already placed buffer alive at the same time; `plan_arena` tries several orders and keeps
the smallest result (ties: the first order listed, so output is deterministic); when that
misses the lower bound on a small problem, `place_exact` (plan/exact.py) solves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tinyq.ir import Graph
from tinyq.plan.exact import place_exact
from tinyq.plan.lifetimes import Buffer, Roots, align, lifetimes, lower_bound, roots

Order = Callable[[Buffer], tuple]

ORDERS: dict[str, Order] = {
    "size": lambda b: (-b.size, b.first, b.name),
    "area": lambda b: (-b.size * (b.last - b.first + 1), b.first, b.name),
    "lifetime": lambda b: (-(b.last - b.first), -b.size, b.name),
    "first_use": lambda b: (b.first, -b.size, b.name),
}


@dataclass
class Plan:
    offsets: dict[str, int]
    arena_size: int
    lower_bound: int
    strategy: str
    roots: Roots
    buffers: list[Buffer]
    arena_without_inplace: int = 0
    patches: dict | None = None  # patch-based execution chosen (plan/patch_choice.py)


def place_separately(buffers: list[Buffer]) -> dict[str, int]:
    offsets, end = {}, 0
    for b in buffers:
        offsets[b.name] = end
        end += b.size
    return offsets


def place_greedy(buffers: list[Buffer], order: Order) -> dict[str, int]:
    placed: list[tuple[Buffer, int]] = []
    offsets: dict[str, int] = {}
    for b in sorted(buffers, key=order):
        clashes = sorted((off, off + other.size) for other, off in placed
                         if other.overlaps_in_time(b))
        offset = 0
        for start, end in clashes:
            if offset + b.size <= start:
                break
            offset = max(offset, end)
        offsets[b.name] = offset
        placed.append((b, offset))
    return offsets


def arena_size(buffers: list[Buffer], offsets: dict[str, int]) -> int:
    return max((offsets[b.name] + b.size for b in buffers), default=0)


def best_placement(buffers: list[Buffer]) -> tuple[str, dict[str, int]]:
    best_name, best = "separate", place_separately(buffers)
    for name, order in ORDERS.items():
        offsets = place_greedy(buffers, order)
        if arena_size(buffers, offsets) < arena_size(buffers, best):
            best_name, best = name, offsets
    if arena_size(buffers, best) > lower_bound(buffers):
        exact = place_exact(buffers)
        if exact is not None and arena_size(buffers, exact) < arena_size(buffers, best):
            best_name, best = "exact", exact
    return best_name, best


def scratch_buffers(graph: Graph, scratch: dict[str, int], r: Roots) -> list[Buffer]:
    """Kernel scratch regions, and the row rings of nodes running in place by rows: alive
    during their node's step only."""
    found = []
    for step, node in enumerate(graph.nodes):
        if scratch.get(node.name):
            found.append(Buffer(f"{node.name}#scratch", align(scratch[node.name]), step, step))
        if node.name in r.rows:
            found.append(Buffer(rows_key(node.name), align(r.rows[node.name].scratch_bytes),
                                step, step))
    return found


def rows_key(node_name: str) -> str:
    """The planner's name for the ring of a node running in place by rows."""
    return f"{node_name}#rows"


INPLACE_MODES = ("auto", "all", "off")


def plan_arena(graph: Graph, inplace: str = "auto",
               scratch: dict[str, int] | None = None) -> Plan:
    """Place every buffer, and the scratch each node's kernel needs on the target
    (`scratch`: node name -> bytes). `inplace`: "all" overwrites every input that dies
    where the kernel allows; "auto" (the default) does so too, but running by rows costs
    a ring copy and pooling over its input keeps the larger buffer alive, so each such
    layer stays in place only if the arena needs it; "off" never (the report gives that
    arena for comparison in any case)."""
    if inplace not in INPLACE_MODES:
        raise AssertionError(f"in-place mode {inplace!r}")
    scratch = scratch or {}
    plain = planned(graph, False, frozenset(), scratch)
    best = plain
    if inplace != "off":
        skip: frozenset[str] = frozenset()
        best = planned(graph, True, skip, scratch)
        order = [n.name for n in graph.nodes]
        for name in sorted(best.roots.optional if inplace == "auto" else (), key=order.index):
            trial = planned(graph, True, skip | {name}, scratch)
            if trial.arena_size <= best.arena_size:
                skip, best = skip | {name}, trial
        if inplace == "auto" and plain.arena_size < best.arena_size:
            best = plain
    best.arena_without_inplace = plain.arena_size
    return best


def planned(graph: Graph, inplace: bool, skip: frozenset[str],
            scratch: dict[str, int]) -> Plan:
    r = roots(graph, inplace, skip)
    buffers = lifetimes(graph, inplace, skip) + scratch_buffers(graph, scratch, r)
    name, offsets = best_placement(buffers)
    return Plan(offsets, arena_size(buffers, offsets), lower_bound(buffers), name, r, buffers)


def check_plan(plan: Plan) -> None:
    """No two buffers alive at the same step share a byte (a tinyq bug if violated)."""
    for i, a in enumerate(plan.buffers):
        for b in plan.buffers[i + 1:]:
            if a.overlaps_in_time(b):
                oa, ob = plan.offsets[a.name], plan.offsets[b.name]
                if oa < ob + b.size and ob < oa + a.size:
                    raise AssertionError(f"arena plan overlaps {a.name} and {b.name}")
