"""`--calib-method auto`: each activation tensor's range chosen by the model output error.

Takes the float graph (after the passes) and the calibration batch (PyTorch layout);
gives a range for every tensor and, per tensor that had a choice, the method picked.

  1. One calibration pass gives every tensor one candidate range per observer method
     (minmax, percentile, mse, kl; quant/observers.py).
  2. A seeded subset of at most AUTO_SAMPLES calibration samples runs through the float
     graph once, unquantized: the reference output.
  3. Tensors are decided in graph order (the input, then each node's output). A tensor's
     float value is computed from the already decided tensors, fake-quantized. For each
     distinct candidate range, the tensor is fake-quantized with it and the rest of the
     graph runs in float; the candidate whose output has the least mean squared error
     against the reference wins (ties go to the earlier method in METHODS order).
  4. A tensor whose range its op fixes (max pool, padding, reshape keep their input's;
     softmax's is constant) has no choice: it is fake-quantized with that range.

Fake quantization (quantize then dequantize, in float: `s * (clamp(floor(x / s + 0.5) + z,
-128, 127) - z)`) models exactly the rounding and clipping an int8 activation suffers, at
float speed; weights stay float during the search, so the choice sees activation error
only. The cost is one suffix of the graph per candidate per tensor on the subset:
quadratic in depth. Measured on a shared, busy 2-core host: 10-12 s for a whole digits
conversion (minmax: 3-7 s); 4 s (FC autoencoder) to 95 s (MobileNetV2 96x96) for the
choice alone on the zoo models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops import op_of
from tinyq.quant.calibrate import calibrate_methods
from tinyq.quant.observers import METHODS
from tinyq.sim.float_exec import last_uses, run_from
from tinyq.sim.layout import to_ir_layout

AUTO = "auto"
AUTO_SAMPLES = 64


@dataclass
class RangeChoice:
    ranges: dict[str, QParams]  # every tensor, as calibrate() gives them
    picks: dict[str, str]  # tensor -> method, for the tensors that had a choice
    fixed: list[str]  # tensors whose op fixes their range (no choice)
    samples: int  # calibration samples the output error was measured on

    def summary(self) -> dict[str, Any]:
        """report.json `calibration.auto`."""
        return {"candidates": list(METHODS), "error_samples": self.samples,
                "picks": self.picks, "fixed_by_op": self.fixed}


def fake_quant(x: torch.Tensor, q: QParams) -> torch.Tensor:
    """Quantize-dequantize with the integer path's rounding (half up) and saturation."""
    levels = torch.clamp(torch.floor(x / q.scale + 0.5) + q.zero_point, -128, 127)
    return (levels - q.zero_point) * q.scale


def subset(data: np.ndarray, seed: int) -> np.ndarray:
    if data.shape[0] <= AUTO_SAMPLES:
        return data
    rows = np.random.default_rng(seed).choice(data.shape[0], AUTO_SAMPLES, replace=False)
    return data[np.sort(rows)]


def fixed_range(node: Node, in_q: list[QParams], observed: QParams) -> QParams | None:
    """The range the op imposes on its output, or None if it takes the observed one."""
    out_q = op_of(node).output_qparams(node, in_q, observed)
    return None if out_q is observed else out_q


def choose_ranges(graph: Graph, data: np.ndarray, seed: int = 0) -> RangeChoice:
    candidates = calibrate_methods(graph, data, METHODS)
    x = torch.as_tensor(to_ir_layout(subset(np.asarray(data, dtype=np.float32), seed)))
    with torch.no_grad():
        reference = run_from(graph, {graph.inputs[0]: x}, 0)
    chosen: dict[str, QParams] = {}
    picks: dict[str, str] = {}
    held: list[str] = []
    values: dict[str, torch.Tensor] = {}
    dead = last_uses(graph)
    steps: list[Node | None] = [None, *graph.nodes]  # None: the graph input
    for i, node in enumerate(steps):
        name = graph.inputs[0] if node is None else node.output
        with torch.no_grad():
            value = x if node is None else op_of(node).float_ref(
                node, [values[t] for t in node.inputs], graph)
        options = {m: candidates[m][name] for m in METHODS}
        fixed = None if node is None else fixed_range(
            node, [chosen[t] for t in node.inputs], options[METHODS[0]])
        if fixed is not None:
            chosen[name] = fixed
            held.append(name)
        else:
            picks[name] = best_candidate(graph, values, name, value, i, options, reference)
            chosen[name] = options[picks[name]]
        values[name] = fake_quant(value, chosen[name])
        if node is not None:  # step i runs node i - 1
            for t in dead.get(i - 1, ()):
                values.pop(t, None)
    ranges = dict(candidates[METHODS[0]])  # fixed-range tensors: ignored by their op
    ranges.update({t: candidates[method][t] for t, method in picks.items()})
    return RangeChoice(ranges, picks, held, int(x.shape[0]))


def best_candidate(graph: Graph, values: dict[str, torch.Tensor], name: str,
                   value: torch.Tensor, step: int, options: dict[str, QParams],
                   reference: torch.Tensor) -> str:
    """The method whose range for `name` gives the least output MSE; the graph after
    `step` (nodes step.., as steps count the input first) runs in float."""
    best, best_err = METHODS[0], np.inf
    seen: dict[QParams, float] = {}
    for method, q in options.items():
        if q not in seen:
            trial = dict(values)
            trial[name] = fake_quant(value, q)
            last = step == len(graph.nodes)
            out = trial[graph.outputs[0]] if last else run_from(graph, trial, step)
            seen[q] = float(torch.mean((out - reference) ** 2))
        if seen[q] < best_err:
            best, best_err = method, seen[q]
    return best
