"""AdaRound: learn, per weight, whether to round down or up (Nagel et al. 2020, "Up or
Down? Adaptive Rounding for Post-Training Quantization").

Takes the float graph and calibration samples; `RoundingLearner` is handed to
ptq.quantize, which calls it for each weighted node (conv, depthwise, linear) in graph
order just before quantizing it, and gets the node's WeightQuant back with the learned
integer weights. Relies on the op's own quantize for the per-channel scales (unchanged:
int4 MSE clip search, bias limit) and on its float_ref for the layer's float semantics,
so the learned weights drop into the unchanged integer pipeline (bias folding, dyadic
multipliers, packing, C kernels).

Per layer, with w the float weights and s the per-channel scales:
1. x_q: the layer's input as the already quantized layers before it compute it (the
   integer simulator on the calibration samples, dequantized); y: the float model's
   output of the layer (fused activation included) on the same samples.
2. Soft weights  w~ = s * clip(floor(w / s) + h(V), lo, hi), with the rectified sigmoid
   h(V) = clip(sigmoid(V) * (ZETA - GAMMA) + GAMMA, 0, 1), V set so that w~ = w at first.
3. Adam on V over minibatches of samples, minimising
       sum_c (f(x_q; w~) - y)^2  (mean over samples and positions)
     + lambda * sum (1 - |2 h(V) - 1|^beta);
   no regulariser for the first `warmup` share of the iterations, then beta falls
   linearly from 20 to 2, which drives every h(V) to 0 or 1.
4. Integer weights floor(w / s) + [V >= 0], clipped to the grid (int4 [-8, 7], int8
   [-127, 127]): never more than one step from round-to-nearest. A layer whose learned
   weights reconstruct the calibration outputs worse than round-to-nearest keeps
   round-to-nearest.
The minibatch order is seeded per layer, so one calibration set gives one result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops import op_of
from tinyq.ops.base import OpDef
from tinyq.quant.threads import one_thread
from tinyq.quant.weights import LearnedRounding, WeightQuant, weight_grid
from tinyq.sim.float_exec import last_uses
from tinyq.sim.layout import to_ir_layout

ZETA, GAMMA = 1.1, -0.1  # the rectified sigmoid's stretch (from the paper)
BETA_START, BETA_END = 20.0, 2.0
CHUNK = 32  # samples per simulator / evaluation call: bounds their memory
PROGRESS_STEPS = 50  # progress events per layer


@dataclass(frozen=True)
class RoundingOptions:
    iterations: int = 1000  # Adam steps per layer
    batch: int = 32  # calibration samples per step
    samples: int = 256  # calibration samples used (the first ones): bounds the memory
    reg_weight: float = 0.01  # lambda, the weight of the rounding regulariser
    learning_rate: float = 0.01
    warmup: float = 0.2  # share of the iterations without the regulariser
    seed: int = 0


@dataclass(frozen=True)
class RoundingProgress:
    """One progress event; `result` is set on a layer's last one (its report summary)."""

    layer: str
    position: int  # 1-based among the weighted layers
    layers: int
    iteration: int
    iterations: int
    loss: float
    result: dict[str, Any] | None = None


Progress = Callable[[RoundingProgress], None]


@dataclass
class Layer:
    """One layer's reconstruction problem, in the PyTorch weight layout (out channels
    first for conv, depthwise and linear alike)."""

    node: Node
    op: OpDef
    graph: Graph
    x: torch.Tensor  # quantized-path input, dequantized
    target: torch.Tensor  # float model output
    floor: torch.Tensor  # floor(w / s)
    scale: torch.Tensor  # s, broadcastable to the weights
    scale64: np.ndarray  # s as ptq computed it (round-to-nearest must match it exactly)
    lo: int
    hi: int

    def output(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        shadow = replace(self.node, params={**self.node.params, "weight": weight})
        return self.op.float_ref(shadow, [x], self.graph)

    def weight(self, up: torch.Tensor) -> torch.Tensor:
        return self.scale * torch.clamp(self.floor + up, self.lo, self.hi)

    def error(self, weight: torch.Tensor) -> float:
        """Mean over samples and positions of the squared output error summed over
        channels: the reconstruction term of the loss, on every cached sample."""
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, self.x.shape[0], CHUNK):
                out = self.output(self.x[start:start + CHUNK], weight)
                diff = (out - self.target[start:start + CHUNK]) ** 2
                total += float(diff.sum())
                count += diff[..., 0].numel()
        return total / max(count, 1)


class RoundingLearner:
    """ptq.quantize's rounding chooser: learned rounding for every weighted node."""

    def __init__(self, graph: Graph, calib: np.ndarray,
                 opts: RoundingOptions = RoundingOptions(),
                 progress: Progress | None = None) -> None:
        self.graph, self.opts, self.progress = graph, opts, progress
        x = to_ir_layout(np.asarray(calib[:opts.samples], dtype=np.float32))
        self.float_values = {graph.inputs[0]: torch.as_tensor(x)}
        self.int_values: dict[str, np.ndarray] = {}
        self.next_node = 0
        self.free = last_uses(graph)
        self.layers = [n.name for n in graph.nodes if op_of(n).weighted]

    def __call__(self, node: Node, in_q: list[QParams], out_q: QParams,
                 how: WeightQuant) -> WeightQuant:
        with one_thread():
            return self.learn(node, in_q, out_q, how)

    def learn(self, node: Node, in_q: list[QParams], out_q: QParams,
              how: WeightQuant) -> WeightQuant:
        self.run_up_to(node)
        layer = self.layer_problem(node, in_q, out_q, how)
        position = self.layers.index(node.name) + 1
        v = initial_v(node.params["weight"], layer)

        every = max(1, self.opts.iterations // PROGRESS_STEPS)

        def tick(iteration: int, loss: float) -> None:
            if self.progress and (iteration + 1) % every == 0:
                self.progress(RoundingProgress(node.name, position, len(self.layers),
                                               iteration + 1, self.opts.iterations, loss))

        train(v, layer, self.opts, np.random.default_rng([self.opts.seed, position]), tick)
        levels, summary = choose_levels(v, layer, node.params["weight"], self.opts)
        if self.progress:
            self.progress(RoundingProgress(node.name, position, len(self.layers),
                                           self.opts.iterations, self.opts.iterations,
                                           summary["loss_learned"], summary))
        return replace(how, rounding=LearnedRounding(levels, summary))

    def layer_problem(self, node: Node, in_q: list[QParams], out_q: QParams,
                      how: WeightQuant) -> Layer:
        op = op_of(node)
        # The op's own quantization gives the scales exactly as they will be used.
        scales = op.quantize(node, in_q, out_q, replace(how, rounding=None))["w_scales"]
        w = np.asarray(node.params["weight"], dtype=np.float64)
        s = np.asarray(scales, dtype=np.float64).reshape((-1,) + (1,) * (w.ndim - 1))
        x_q = in_q[0].dequantize(self.int_values[node.inputs[0]])
        with torch.no_grad():
            target = op.float_ref(node, [self.float_values[node.inputs[0]]], self.graph)
        lo, hi = weight_grid(how.bits)
        return Layer(node, op, self.graph, torch.as_tensor(x_q, dtype=torch.float32), target,
                     torch.as_tensor(np.floor(w / s), dtype=torch.float32),
                     torch.as_tensor(s, dtype=torch.float32), s, lo, hi)

    def run_up_to(self, node: Node) -> None:
        """Float and integer values of every tensor before `node` (its inputs included);
        the nodes before it are quantized by now."""
        graph = self.graph
        if not self.int_values:
            x = self.float_values[graph.inputs[0]].numpy()
            self.int_values[graph.inputs[0]] = graph.tensors[graph.inputs[0]].qparams.quantize(x)
        stop = next(i for i, n in enumerate(graph.nodes) if n is node)
        for i in range(self.next_node, stop):
            done = graph.nodes[i]
            op = op_of(done)
            with torch.no_grad():
                self.float_values[done.output] = op.float_ref(
                    done, [self.float_values[t] for t in done.inputs], graph)
            ints = [self.int_values[t] for t in done.inputs]
            self.int_values[done.output] = np.concatenate([
                op.simulate(done, [v[start:start + CHUNK] for v in ints], graph)
                for start in range(0, ints[0].shape[0], CHUNK)])
            for t in self.free.get(i, ()):
                self.float_values.pop(t, None)
                self.int_values.pop(t, None)
        self.next_node = stop


def rectified_sigmoid(v: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.sigmoid(v) * (ZETA - GAMMA) + GAMMA, 0.0, 1.0)


def initial_v(w: np.ndarray, layer: Layer) -> torch.Tensor:
    """V with h(V) = w / s - floor(w / s), so the soft weights start at the float ones."""
    rest = torch.as_tensor(np.asarray(w, dtype=np.float64), dtype=torch.float32)
    rest = torch.clamp(rest / layer.scale - layer.floor, 0.0, 1.0)
    p = (rest - GAMMA) / (ZETA - GAMMA)
    return torch.log(p / (1 - p)).requires_grad_(True)


def train(v: torch.Tensor, layer: Layer, opts: RoundingOptions, rng: np.random.Generator,
          tick: Callable[[int, float], None]) -> None:
    """Adam on V (step 3 of the module docstring)."""
    adam = torch.optim.Adam([v], lr=opts.learning_rate)
    n = layer.x.shape[0]
    warm = int(opts.warmup * opts.iterations)
    for it in range(opts.iterations):
        pick = torch.as_tensor(rng.choice(n, size=min(opts.batch, n), replace=False))
        h = rectified_sigmoid(v)
        out = layer.output(layer.x[pick], layer.weight(h))
        rec = ((out - layer.target[pick]) ** 2).sum(-1).mean()
        loss = rec
        if it >= warm:
            t = (it - warm) / max(1, opts.iterations - warm)
            beta = BETA_END + (BETA_START - BETA_END) * (1.0 - t)
            loss = rec + opts.reg_weight * (1 - (2 * h - 1).abs().pow(beta)).sum()
        adam.zero_grad()
        loss.backward()
        adam.step()
        tick(it, float(rec.detach()))


def choose_levels(v: torch.Tensor, layer: Layer, w: np.ndarray,
                  opts: RoundingOptions) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Hard rounding from V (step 4); None when round-to-nearest reconstructs better."""
    learned = torch.clamp(layer.floor + (v.detach() >= 0).float(), layer.lo, layer.hi)
    w64 = np.asarray(w, dtype=np.float64)
    nearest = np.clip(np.round(w64 / layer.scale64), layer.lo, layer.hi)
    nearest_t = torch.as_tensor(nearest, dtype=torch.float32)
    loss_nearest = layer.error(layer.scale * nearest_t)
    loss_learned = layer.error(layer.scale * learned)
    keep = loss_learned < loss_nearest
    levels = learned.numpy().astype(np.int8)
    summary = {"method": "adaround", "layer": layer.node.name, "iterations": opts.iterations,
               "loss_nearest": loss_nearest, "loss_learned": loss_learned,
               "kept": "learned" if keep else "nearest",
               "changed": int(np.count_nonzero(levels != nearest)) if keep else 0}
    return (levels if keep else None), summary
