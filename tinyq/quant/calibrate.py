"""Calibration: run the float IR over the calibration set, observe every tensor.

Takes the float graph and a float batch in PyTorch layout (N x C x H x W); gives
{tensor name: QParams}, or one such map per method from a single pass (what
`--calib-method auto` chooses among, quant/auto_ranges.py). Batches of 32 bound memory on
the large zoo models.
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
    return calibrate_methods(graph, data, (method,))[method]


def calibrate_methods(graph: Graph, data: np.ndarray, methods: tuple[str, ...]
                      ) -> dict[str, dict[str, QParams]]:
    """{method: {tensor: QParams}} from one float pass. Each tensor's observers share the
    seed a single-method run gives it, so every map equals `calibrate(graph, data, m)`."""
    observers: dict[str, list[Observer]] = {}

    def observe(name: str, value: torch.Tensor) -> None:
        if name not in observers:
            observers[name] = [Observer(m, seed=len(observers)) for m in methods]
        for obs in observers[name]:
            obs.update(value)

    x = to_ir_layout(np.asarray(data, dtype=np.float32))
    for start in range(0, x.shape[0], BATCH):
        run_float(graph, x[start:start + BATCH], observe)
    return {m: {name: obs[i].qparams() for name, obs in observers.items()}
            for i, m in enumerate(methods)}


def channel_means(graph: Graph, data: np.ndarray, tensors: set[str]) -> dict[str, np.ndarray]:
    """The float mean of each channel (last axis) of `tensors` over the calibration set:
    the input statistics int4 bias correction needs (quant/weights.py). One more float
    pass, run only when some layer has int4 weights."""
    if not tensors:
        return {}
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}

    def observe(name: str, value: torch.Tensor) -> None:
        if name in tensors:
            v = value.double().reshape(-1, value.shape[-1])
            sums[name] = sums.get(name, 0.0) + v.sum(dim=0).numpy()
            counts[name] = counts.get(name, 0) + v.shape[0]

    x = to_ir_layout(np.asarray(data, dtype=np.float32))
    for start in range(0, x.shape[0], BATCH):
        run_float(graph, x[start:start + BATCH], observe)
    return {name: sums[name] / counts[name] for name in sums}
