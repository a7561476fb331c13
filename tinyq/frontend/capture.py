"""nn.Module or ExportedProgram -> an ExportedProgram in core ATen, eval mode, batch 1.

The decomposition keeps the ops tinyq lowers whole (linear, hardswish, silu, ...) instead
of splitting them into mul / add / clamp chains that would each need requantization.
"""

from __future__ import annotations

from typing import Any

import torch

from tinyq.errors import TinyqError
from tinyq.frontend.load import first_line

KEEP_WHOLE = ("linear", "hardswish", "hardsigmoid", "silu", "gelu", "adaptive_avg_pool2d")


def capture(model: Any, input_shape: tuple[int, ...] | None) -> torch.export.ExportedProgram:
    if isinstance(model, torch.export.ExportedProgram):
        ep = model
    else:
        if input_shape is None:
            raise TinyqError("the input shape is unknown: give --input-shape or --calib")
        model = model.eval()
        example = torch.zeros(input_shape, dtype=torch.float32)
        try:
            with torch.no_grad():
                ep = torch.export.export(model, (example,))
        except Exception as e:
            raise TinyqError(f"torch.export could not capture the model with input shape "
                             f"{tuple(input_shape)}: {type(e).__name__}: {first_line(e)}"
                             ) from None
    table = torch.export.default_decompositions()
    for name in KEEP_WHOLE:
        table.pop(getattr(torch.ops.aten, name).default, None)
    return ep.run_decompositions(table)


def exported_input_shape(model: Any) -> tuple[int, ...] | None:
    """The input shape an ExportedProgram was captured with; None for an nn.Module (or a
    program whose single tensor input has no recorded shape)."""
    if not isinstance(model, torch.export.ExportedProgram):
        return None
    nodes = {n.name: n for n in model.graph.nodes}
    metas = [nodes[name].meta for name in model.graph_signature.user_inputs if name in nodes]
    shapes = [tuple(int(d) for d in meta["val"].shape) for meta in metas if "val" in meta]
    return shapes[0] if len(shapes) == 1 else None
