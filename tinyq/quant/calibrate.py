"""Calibration: run the float IR over the calibration set, observe every tensor.

Takes the float graph and a float batch in PyTorch layout (N x C x H x W); gives
{tensor name: QParams}. Batches of 32 bound memory on the large zoo models.
"""

from __future__ import annotations

import numpy as np
import torch

from tinyq.ir import Graph, QParams
from tinyq.quant.observers import Observer
from tinyq.sim.float_exec import run_float
from tinyq.sim.layout import to_ir_layout

BATCH = 32


def calibrate(graph: Graph, data: np.ndarray, method: str = "minmax") -> dict[str, QParams]:
    observers: dict[str, Observer] = {}

    def observe(name: str, value: torch.Tensor) -> None:
        if name not in observers:
            observers[name] = Observer(method, seed=len(observers))
        observers[name].update(value)

    x = to_ir_layout(np.asarray(data, dtype=np.float32))
    for start in range(0, x.shape[0], BATCH):
        run_float(graph, x[start:start + BATCH], observe)
    return {name: obs.qparams() for name, obs in observers.items()}
