"""Moving batches across the network boundary: PyTorch layout <-> IR (channels last)."""

from __future__ import annotations

import numpy as np


def to_ir_layout(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C); other ranks are already in IR order."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if x.ndim == 4 else x


def to_torch_layout(x: np.ndarray, torch_rank: int) -> np.ndarray:
    """(N, H, W, C) -> (N, C, H, W) for an output that is 4-D on the PyTorch side."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if torch_rank == 4 else x
