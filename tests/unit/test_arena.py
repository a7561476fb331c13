"""Arena planning: never overlaps live buffers, never worse than separate buffers, meets
the lower bound on chains, deterministic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tinyq.plan.arena import (ORDERS, Plan, arena_size, check_plan, place_greedy,
                              place_separately)
from tinyq.plan.lifetimes import Buffer, Roots, lower_bound


@st.composite
def buffer_sets(draw):
    n = draw(st.integers(1, 25))
    out = []
    for i in range(n):
        first = draw(st.integers(0, 20))
        out.append(Buffer(f"t{i}", 4 * draw(st.integers(1, 64)), first,
                          first + draw(st.integers(0, 6))))
    return out


@given(buffer_sets())
def test_every_order_gives_a_valid_plan(buffers):
    separate = arena_size(buffers, place_separately(buffers))
    for order in ORDERS.values():
        offsets = place_greedy(buffers, order)
        size = arena_size(buffers, offsets)
        check_plan(Plan(offsets, size, lower_bound(buffers), "t", Roots({}, "", "", {}, {}),
                        buffers))
        assert lower_bound(buffers) <= size <= separate


def test_chain_reaches_the_lower_bound():
    # A layer chain: each buffer lives from its producer to its single reader.
    sizes = [400, 800, 200, 600, 100]
    buffers = [Buffer(f"t{i}", s, i, i + 1) for i, s in enumerate(sizes)]
    offsets = place_greedy(buffers, ORDERS["size"])
    assert arena_size(buffers, offsets) == lower_bound(buffers) == 1200


def test_greedy_is_deterministic():
    buffers = [Buffer(f"t{i}", 16 * (i % 5 + 1), i % 7, i % 7 + 2) for i in range(30)]
    assert place_greedy(buffers, ORDERS["area"]) == place_greedy(buffers, ORDERS["area"])


def test_exact_placement_beats_greedy_where_greedy_fragments():
    from tinyq.plan.arena import best_placement
    from tinyq.plan.exact import place_exact

    # Greedy by size puts the two 8-byte buffers where the later 16-byte one then
    # cannot fit below them; the optimum interleaves them.
    buffers = [Buffer("a", 16, 0, 1), Buffer("b", 8, 1, 2), Buffer("c", 8, 2, 3),
               Buffer("d", 16, 3, 4), Buffer("e", 8, 0, 4)]
    exact = place_exact(buffers)
    assert exact is not None
    check_plan(Plan(exact, arena_size(buffers, exact), lower_bound(buffers), "exact",
                    Roots({}, "", "", {}, {}), buffers))
    _, best = best_placement(buffers)
    assert arena_size(buffers, best) == arena_size(buffers, exact) <= min(
        arena_size(buffers, place_greedy(buffers, order)) for order in ORDERS.values())


@given(buffer_sets())
def test_exact_is_never_worse_than_greedy(buffers):
    from tinyq.plan.exact import place_exact

    exact = place_exact(buffers[:10])
    if exact is not None:
        greedy = min(arena_size(buffers[:10], place_greedy(buffers[:10], o))
                     for o in ORDERS.values())
        assert lower_bound(buffers[:10]) <= arena_size(buffers[:10], exact) <= greedy
