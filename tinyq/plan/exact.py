"""Exact arena placement for small problems: a mixed-integer program (scipy's HiGHS).

minimise A subject to, for every buffer i, off_i + size_i <= A, and for every pair i, j
alive at the same time one of off_i + size_i <= off_j or off_j + size_j <= off_i (a binary
z_ij picks which, big-M on the other). Offsets are in units of the alignment, so every
solution is aligned. Used only when the greedy planners miss the lower bound, on at most
MAX_BUFFERS buffers alive together, with a time limit; on timeout the greedy plan stays.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from tinyq.plan.lifetimes import ALIGN, Buffer

MAX_BUFFERS = 16
TIME_LIMIT_S = 5.0


def place_exact(buffers: list[Buffer]) -> dict[str, int] | None:
    """Optimal offsets, or None if the problem is too large or not solved in time."""
    n = len(buffers)
    if n == 0 or n > MAX_BUFFERS:
        return None
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)
             if buffers[i].overlaps_in_time(buffers[j])]
    sizes = np.array([b.size // ALIGN for b in buffers], dtype=float)
    big = float(sizes.sum())
    nv = n + 1 + len(pairs)  # offsets, A, one binary per clashing pair
    cost = np.zeros(nv)
    cost[n] = 1.0
    rows, lo, hi = [], [], []
    for i in range(n):  # off_i - A <= -size_i
        row = np.zeros(nv)
        row[i], row[n] = 1.0, -1.0
        rows.append(row), lo.append(-np.inf), hi.append(-sizes[i])
    for k, (i, j) in enumerate(pairs):
        z = n + 1 + k
        row = np.zeros(nv)  # off_i - off_j + big * z <= big - size_i
        row[i], row[j], row[z] = 1.0, -1.0, big
        rows.append(row), lo.append(-np.inf), hi.append(big - sizes[i])
        row = np.zeros(nv)  # off_j - off_i - big * z <= -size_j
        row[j], row[i], row[z] = 1.0, -1.0, -big
        rows.append(row), lo.append(-np.inf), hi.append(-sizes[j])
    upper = np.full(nv, big)
    upper[n + 1:] = 1.0
    result = milp(cost, constraints=LinearConstraint(np.array(rows), lo, hi),
                  integrality=np.ones(nv), bounds=Bounds(np.zeros(nv), upper),
                  options={"time_limit": TIME_LIMIT_S})
    if result.status != 0 or result.x is None:
        return None
    return {b.name: int(round(result.x[i])) * ALIGN for i, b in enumerate(buffers)}
