"""Single-op checks: a tiny PyTorch module through the real front end and quantizer, then
every kernel call of the op run in C (cffi) against the simulator, and the simulator
against an ideal float computation."""

from __future__ import annotations

import copy

import numpy as np
import torch

from tinyq.ir import Graph, Node, QParams
from tinyq.ops import op_of
from tinyq.pipeline import quantized_graph
from tinyq.quant.weight_config import WeightOptions
from tinyq.sim.interpreter import run_int
from tinyq.sim.layout import to_ir_layout


def dequantized_weights(node: Node, in_q: QParams) -> dict[str, np.ndarray]:
    """The float weights and bias the integer layer really uses, in the IR's torch layout
    (the bias unfolded: b_q = bias' + z_in * sum(w_q); an int4 layer's bias is corrected,
    so it differs from the float model's)."""
    q = node.qattrs
    if node.op == "conv2d":
        w = q["weights"].astype(np.float64) * q["w_scales"][:, None, None, None]
        w_sum = q["weights"].astype(np.int64).sum(axis=(1, 2, 3))
        params = {"weight": w.transpose(0, 3, 1, 2)}
    elif node.op == "dwconv2d":
        w = q["weights"].astype(np.float64) * q["w_scales"]
        w_sum = q["weights"].astype(np.int64).sum(axis=(0, 1))
        params = {"weight": w.transpose(2, 0, 1)[:, None]}
    elif node.op == "linear":
        w_sum = q["weights"].astype(np.int64).sum(axis=1)
        params = {"weight": q["weights"].astype(np.float64) * q["w_scales"][:, None]}
    else:
        return {}
    b_q = q["bias"].astype(np.int64) + in_q.zero_point * w_sum
    return {**params, "bias": b_q * in_q.scale * q["w_scales"]}


def check_op(kernels, module: torch.nn.Module, input_shape: tuple[int, ...], op: str,
             seed: int = 0, n: int = 3, tol_steps: float = 1.0,
             input_scale: float = 1.0, weights: WeightOptions = WeightOptions()) -> Graph:
    rng = np.random.default_rng(seed)
    calib = (rng.standard_normal((16, *input_shape[1:])) * input_scale).astype(np.float32)
    graph = quantized_graph(module.eval(), calib, input_shape, weights=weights)
    nodes = [nd for nd in graph.nodes if nd.op == op]
    assert nodes, f"lowering produced no {op} node: {[nd.op for nd in graph.nodes]}"
    x = (rng.standard_normal((n, *input_shape[1:])) * input_scale).astype(np.float32)
    xq = graph.tensors[graph.inputs[0]].qparams.quantize(to_ir_layout(x))
    values = run_int(graph, xq, keep_all=True)
    for node in nodes:
        check_c_equals_sim(kernels, graph, node, values)
        check_close_to_float(graph, node, values, tol_steps)
    return graph


def check_c_equals_sim(kernels, graph: Graph, node: Node, values: dict) -> None:
    calls = op_of(node).emit(node, graph)
    want = values[node.output]
    for i in range(want.shape[0]):
        ins = [np.ascontiguousarray(values[t][i]) for t in node.inputs]
        got = np.zeros_like(want[i])
        for call in calls:
            kernels.call(call, ins, got)
        if not np.array_equal(got, want[i]):
            bad = np.argwhere(got != want[i])[0]
            raise AssertionError(f"{node.where()} sample {i}: C {got[tuple(bad)]} != "
                                 f"simulator {want[i][tuple(bad)]} at {tuple(bad)}")


def check_close_to_float(graph: Graph, node: Node, values: dict, tol_steps: float) -> None:
    """Dequantized int output vs the float op on the dequantized inputs (and dequantized
    weights): only the output rounding remains, so the error is within tol_steps steps."""
    ideal = copy.copy(node)
    in_q = graph.tensors[node.inputs[0]].qparams
    ideal.params = {**node.params, **dequantized_weights(node, in_q)}
    ins = [torch.as_tensor(graph.tensors[t].qparams.dequantize(values[t]), dtype=torch.float64)
           for t in node.inputs]
    with torch.no_grad():
        ref = op_of(node).float_ref(ideal, ins, graph).numpy()
    out_q = graph.tensors[node.output].qparams
    lo = out_q.dequantize(np.int8(-128))
    hi = out_q.dequantize(np.int8(127))
    ref = np.clip(ref, lo, hi)  # saturation is the intended behaviour, not an error
    err = np.max(np.abs(out_q.dequantize(values[node.output]) - ref)) / out_q.scale
    assert err <= tol_steps + 1e-6, f"{node.where()}: {err:.3f} steps from the float op"
