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


def scratch_buffers(graph: Graph, scratch: dict[str, int]) -> list[Buffer]:
    """Kernel scratch regions: alive during their node's step only."""
    return [Buffer(f"{node.name}#scratch", align(scratch[node.name]), step, step)
            for step, node in enumerate(graph.nodes) if scratch.get(node.name)]


def plan_arena(graph: Graph, inplace: bool = True,
               scratch: dict[str, int] | None = None) -> Plan:
    """Place every buffer, and the scratch each node's kernel needs on the target
    (`scratch`: node name -> bytes); with `inplace`, elementwise ops reuse inputs that die
    (the report also gives the arena without that, for comparison)."""
    extra = scratch_buffers(graph, scratch or {})
    buffers = lifetimes(graph, inplace) + extra
    name, offsets = best_placement(buffers)
    plain = lifetimes(graph, inplace=False) + extra
    return Plan(offsets, arena_size(buffers, offsets), lower_bound(buffers), name,
                roots(graph, inplace), buffers,
                arena_size(plain, best_placement(plain)[1]))


def check_plan(plan: Plan) -> None:
    """No two buffers alive at the same step share a byte (a tinyq bug if violated)."""
    for i, a in enumerate(plan.buffers):
        for b in plan.buffers[i + 1:]:
            if a.overlaps_in_time(b):
                oa, ob = plan.offsets[a.name], plan.offsets[b.name]
                if oa < ob + b.size and ob < oa + a.size:
                    raise AssertionError(f"arena plan overlaps {a.name} and {b.name}")
