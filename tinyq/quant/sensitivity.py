"""How much each weighted layer suffers from int4 weights: two measures, both reported.

Takes BitVariants (quant/bit_variants.py) and the calibration batch; gives one
`LayerSensitivity` per weighted layer.

(a) HAWQ-V3's second-order proxy. With no labels, the loss is the distance of the model's
    output from its own float output (pseudo-labels) on the calibration samples:
        L(W) = 1/2 * mean_n || f(x_n; W) - f(x_n; W_float) ||^2
    At W_float, L = 0 and its gradient is 0, so to second order a weight error D costs
    L ~= 1/2 D^T H D, with H = J^T J (the Gauss-Newton matrix: PSD). HAWQ-V3 takes
    H_l's trace, by Hutchinson's estimator: for Rademacher vectors v (entries +-1),
    E[v^T H v] = Tr(H). Two forms of it, the same expectation:
      "hvp": Hessian-vector products by double backward through the float IR, one
        layer's block H_ll at a time (probes x layers backward passes);
      "gauss-newton": H_ll = (1/N) sum_n J_nl^T J_nl exactly here, so
        Tr(H_ll) = E ||sum_n J_nl^T u_n||^2 / N for Rademacher u over the outputs: one
        backward pass per probe serves every layer (probes passes in all).
    "hvp" is used while probes x layers <= HVP_PASSES (the digits CNN: 96); deeper
    models take "gauss-newton" (MobileNetV1-0.25 VWW, 28 layers: the hvp form took 101 s
    here). Then, as in HAWQ-V3,
        Omega_l(b) = Tr(H_l) / n_l * || Q_b(W_l) - W_l ||^2
    with Q_b the weights the layer really gets at b bits (scales from the quantized
    graph). Omega_l(b) / 2 estimates the squared output error per sample that layer's
    weights alone add, so it is in the same units as measure (b).
(b) Measured: the graph with that layer int4 and every other layer int8, run by the
    integer simulator on the calibration samples; the output's mean squared error
    (per sample, summed over the output) and SQNR against the float graph.
Both are deterministic: a seeded generator draws the probes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from tinyq.ir import Graph, Node
from tinyq.metrics import sqnr_db
from tinyq.ops import op_of
from tinyq.quant.bit_variants import BitVariants
from tinyq.quant.int4 import quantize_int4
from tinyq.quant.threads import one_thread
from tinyq.quant.weights import quantize_weights
from tinyq.sim.float_exec import run_float
from tinyq.sim.interpreter import run_int_output
from tinyq.sim.layout import to_ir_layout

PROBES = 16  # Hutchinson probes per layer: ~10 % spread of a trace between seeds
SAMPLES = 64  # calibration samples the Hessian and the measured error use (bounds time)
SEED = 0
HVP_PASSES = 256  # most per-layer Hessian-vector products before the one-pass form


@dataclass(frozen=True)
class LayerSensitivity:
    name: str
    source: str
    op: str
    params: int  # n_l, the layer's weight count
    hessian_trace: float  # Tr(H_l), Hutchinson
    weight_error: dict[int, float]  # bits -> ||Q_b(W_l) - W_l||^2
    int4_alone_mse: float  # (b): output squared error per sample, this layer int4 alone
    int4_alone_sqnr_db: float

    def omega(self, bits: int) -> float:
        """HAWQ-V3's perturbation Omega_l(b)."""
        return self.hessian_trace / self.params * self.weight_error[bits]


def layer_sensitivities(variants: BitVariants, calib: np.ndarray, probes: int = PROBES,
                        seed: int = SEED) -> list[LayerSensitivity]:
    x = to_ir_layout(np.asarray(calib[:SAMPLES], dtype=np.float32))
    method = trace_method(len(variants.layers), probes)
    with one_thread():
        traces = hessian_traces(variants.float_graph, x, probes, seed, method)
    float_out = run_float(variants.float_graph, x)
    result = []
    for node in variants.float_graph.nodes:
        if not op_of(node).weighted:
            continue
        errors = {b: weight_error(node, variants.by_bits[b]) for b in variants.by_bits}
        mse, sqnr = alone_error(variants, node.name, x, float_out)
        result.append(LayerSensitivity(node.name, node.source, node.op,
                                       int(np.asarray(node.params["weight"]).size),
                                       traces[node.name], errors, mse, sqnr))
    return result


def forward(graph: Graph, x: torch.Tensor, weights: dict[str, torch.Tensor]) -> torch.Tensor:
    """The float IR with the named layers' weights replaced by (differentiable) tensors;
    the ops' float_ref take a torch weight as it is, so autograd sees through them."""
    values = {graph.inputs[0]: x}
    for node in graph.nodes:
        if node.name in weights:
            node = replace(node, params={**node.params, "weight": weights[node.name]})
        values[node.output] = op_of(node).float_ref(node, [values[t] for t in node.inputs],
                                                    graph)
    return values[graph.outputs[0]]


def trace_method(layers: int, probes: int = PROBES) -> str:
    return "hvp" if layers * probes <= HVP_PASSES else "gauss-newton"


def hessian_traces(graph: Graph, x: np.ndarray, probes: int, seed: int,
                   method: str = "hvp") -> dict[str, float]:
    """Tr(H_ll) of the pseudo-label loss for every weighted layer l (Hutchinson).
    1. forward with the weights as leaves; its detached copy is the pseudo-label target;
    2. "hvp": per layer, per probe: v Rademacher over W_l only, H_ll v = d(g_l . v)/dW_l
       with g_l = dL/dW_l (kept differentiable), accumulate v . H_ll v;
       "gauss-newton": per probe: u Rademacher over the batch's outputs, g = J^T u by
       one backward pass, accumulate ||g_l||^2 / N for every layer;
    3. divide by the number of probes.
    A single v over all layers at once would be cheaper still but adds the cross terms
    v_l . H_lk v_k to every layer's estimate: on the digits CNN the small layers' traces
    then swung by 40-100 % between seeds at 16 probes, against ~10 % for both forms."""
    layers = [n for n in graph.nodes if op_of(n).weighted]
    leaves = [torch.tensor(np.asarray(n.params["weight"], dtype=np.float32),
                           requires_grad=True) for n in layers]
    xt = torch.as_tensor(x)
    out = forward(graph, xt, {n.name: w for n, w in zip(layers, leaves)})
    gen = torch.Generator().manual_seed(seed)
    if method == "gauss-newton":
        totals = np.zeros(len(leaves))
        for _ in range(probes):
            u = torch.randint(0, 2, out.shape, generator=gen).float() * 2 - 1
            grads = torch.autograd.grad(out, leaves, grad_outputs=u, retain_graph=True)
            totals += [float(torch.sum(g * g)) / out.shape[0] for g in grads]
        return {n.name: float(t) / probes for n, t in zip(layers, totals)}
    target = out.detach()  # the float output: f(x; W_float) itself
    loss = 0.5 * ((out - target) ** 2).reshape(out.shape[0], -1).sum(dim=1).mean()
    grads = torch.autograd.grad(loss, leaves, create_graph=True)
    traces = {}
    for node, w, g in zip(layers, leaves, grads):
        total = 0.0
        for _ in range(probes):
            v = torch.randint(0, 2, w.shape, generator=gen).float() * 2 - 1
            (hv,) = torch.autograd.grad(g, w, grad_outputs=v, retain_graph=True)
            total += float(torch.sum(v * hv))
        traces[node.name] = max(total / probes, 0.0)  # H is PSD; noise cannot go below 0
    return traces


def weight_error(float_node: Node, quantized: Graph) -> float:
    """||Q_b(W) - W||^2 with the scales the quantized layer really uses. The float weight
    (PyTorch layout) has output channels on axis 0 for conv, depthwise and linear alike,
    and the error is a per-channel sum, so the kernel's layout need not be rebuilt."""
    node = next(n for n in quantized.nodes if n.name == float_node.name)
    w = np.asarray(float_node.params["weight"], dtype=np.float64)
    scales = np.asarray(node.qattrs["w_scales"], dtype=np.float64)
    if w.shape[0] != scales.size:
        raise AssertionError(f"{node.where()}: {scales.size} weight scales for "
                             f"{w.shape[0]} output channels")
    if node.qattrs["weight_bits"] == 4:
        q = quantize_int4(w, scales, 0)
    else:
        q = quantize_weights(w, scales, 0)
    deq = q.astype(np.float64) * scales.reshape((-1,) + (1,) * (w.ndim - 1))
    return float(np.sum((deq - w) ** 2))


def output_error(graph: Graph, x: np.ndarray, float_out: np.ndarray) -> tuple[float, float]:
    """(squared error per sample, SQNR dB) of the integer graph's output vs float."""
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(x)
    got = graph.tensors[graph.outputs[0]].qparams.dequantize(run_int_output(graph, xq))
    err = (got - float_out.astype(np.float64)).reshape(x.shape[0], -1)
    return float(np.mean(np.sum(err * err, axis=1))), sqnr_db(float_out, got)


def alone_error(variants: BitVariants, layer: str, x: np.ndarray,
                float_out: np.ndarray) -> tuple[float, float]:
    return output_error(variants.compose({layer: 4}), x, float_out)
