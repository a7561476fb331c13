"""ExportedProgram (core ATen) -> ir.Graph with channels-last shapes and float params.

Each ATen call is lowered by the op module that lists it (ops/*.py `aten`); anything else
is an error naming the op and the module path it came from. Parameters and buffers become
float64 arrays; NaN or Inf in any of them is an error naming the parameter.
"""

from __future__ import annotations

import operator

import numpy as np
import torch
from torch.export.graph_signature import InputKind

from tinyq.errors import TinyqError
from tinyq.frontend.lower_context import LowerContext
from tinyq.ir import Graph
from tinyq.ops import aten_table


def constants(ep: torch.export.ExportedProgram) -> dict[str, np.ndarray]:
    """Placeholder name -> float64 array for every parameter, buffer and constant."""
    out: dict[str, np.ndarray] = {}
    for spec in ep.graph_signature.input_specs:
        if spec.kind == InputKind.USER_INPUT:
            continue
        value = ep.state_dict.get(spec.target)
        if value is None:
            value = ep.constants.get(spec.target)
        if not isinstance(value, torch.Tensor):
            continue
        array = value.detach().to(torch.float64).numpy()
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            bad = "NaN" if np.isnan(array).any() else "Inf"
            raise TinyqError(f"parameter '{spec.target}' contains {bad} values")
        out[spec.arg.name] = array
    return out


def to_ir(ep: torch.export.ExportedProgram) -> Graph:
    ctx = LowerContext(constants(ep))
    user_inputs = [s.arg.name for s in ep.graph_signature.input_specs
                   if s.kind == InputKind.USER_INPUT]
    if len(user_inputs) != 1:
        raise TinyqError(f"the model takes {len(user_inputs)} inputs; tinyq supports models "
                         "with exactly one input tensor")
    table = aten_table()
    outputs: list[str] = []
    output_shape: tuple[int, ...] = ()
    input_shape: tuple[int, ...] = ()
    for fx_node in ep.graph.nodes:
        if fx_node.op == "placeholder":
            if fx_node.name in user_inputs:
                ctx.add_input(fx_node)
                input_shape = ctx.shape_of(fx_node)
        elif fx_node.op == "call_function":
            lower_call(fx_node, ctx, table)
        elif fx_node.op == "output":
            results = fx_node.args[0]
            if len(results) != 1 or not ctx.is_tensor(results[0]):
                raise TinyqError(f"the model returns {len(results)} values; tinyq supports "
                                 "models with exactly one output tensor")
            outputs = [ctx.tensor(results[0])]
            output_shape = ctx.shape_of(results[0])
    if outputs and outputs[0] in ctx.inputs:
        raise TinyqError("the model returns its input unchanged; nothing to convert")
    return ctx.graph(outputs, input_shape, output_shape)


def lower_call(fx_node: torch.fx.Node, ctx: LowerContext, table: dict) -> None:
    if fx_node.target is operator.getitem:
        source, index = fx_node.args
        if index != 0:
            raise TinyqError(f"{ctx.source(fx_node)}: output {index} of {source.target} "
                             "(e.g. max-pool indices) is not supported")
        ctx.alias(fx_node, ctx.tensor(source))
        return
    op = table.get(str(fx_node.target))
    if op is None:
        raise TinyqError(f"unsupported op {fx_node.target} at {ctx.source(fx_node)}")
    op.lower(fx_node, ctx)
