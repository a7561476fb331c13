"""ATen ops that compute nothing at inference (clone, alias, dropout in eval mode, casts
to the same dtype): the front end binds their output to their input, no node is made."""

from __future__ import annotations

from typing import Any

from tinyq.errors import TinyqError
from tinyq.ops.base import OpDef, register


@register
class Identity(OpDef):
    name = "identity"
    aten = ("aten.clone.default", "aten.alias.default", "aten.detach.default",
            "aten.dropout.default", "aten.lift_fresh_copy.default",
            "aten._to_copy.default", "aten.contiguous.default")

    def lower(self, fx_node: Any, ctx: Any) -> None:
        target = str(fx_node.target)
        if target == "aten.dropout.default" and fx_node.args[2]:
            raise TinyqError(f"{ctx.where(fx_node)}: dropout in training mode; call "
                             "model.eval() before export")
        if target == "aten._to_copy.default":
            dtype = fx_node.kwargs.get("dtype")
            src = fx_node.args[0].meta.get("val")
            if dtype is not None and src is not None and dtype != src.dtype:
                raise TinyqError(f"{ctx.where(fx_node)}: dtype conversion to {dtype} is "
                                 "not supported")
        ctx.alias(fx_node, ctx.tensor(fx_node.args[0]))
