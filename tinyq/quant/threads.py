"""Torch on one thread for the small-step optimisations of quantization (AdaRound,
synthetic calibration, Hessian-vector products)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread, then restore the caller's setting. The optimisations are
    thousands of small ops: a second thread only adds hand-offs, and its spin-waiting made
    each step 5-10x slower when other processes shared the two cores (measured on digits:
    16 s with one thread, 170 s with two, same result)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
