"""What every op module provides, and the registry the stages dispatch through.

An op module (tinyq/ops/<op>.py) defines one `OpDef` subclass and registers it with
`@register`. It holds everything Python knows about the op:
  - `aten`: the ATen overloads it lowers from (the front end dispatches on these),
  - `lower`: ATen node -> IR node(s) (channels-last shapes, float params),
  - `float_ref`: the float semantics on channels-last torch tensors (calibration and
    the check that the IR still computes what the PyTorch model computes),
  - `quantize`: the integer parameters (DESIGN.md section 3); ops with `weighted = True`
    take a fourth argument, the layer's WeightQuant (bit width, int4 clip rule, input
    mean for bias correction; quant/weights.py),
  - `simulate`: the integer reference, op for op what the C kernel computes,
  - `emit`: the C kernel call(s) as data (`CCall`), rendered by codegen and also called
    directly through cffi by the op tests,
  - `macs` / `kernel_sources`: for the report and for copying the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from tinyq.ir import Graph, Node, QParams

if TYPE_CHECKING:
    import torch

    from tinyq.frontend.lower_context import LowerContext


@dataclass(frozen=True)
class Const:
    """A constant array the kernel call reads from flash (weights, bias, multipliers)."""

    key: str
    ctype: str
    data: np.ndarray


@dataclass(frozen=True)
class Buf:
    """A tensor pointer argument: input `index` of the node, or its output."""

    kind: str  # "in" or "out"
    index: int = 0


Arg = Union[int, Const, Buf]


@dataclass(frozen=True)
class RowWindow:
    """How a layer runs in place over its input a few output rows at a time (the planner
    decides; codegen emits the row loop of tinyq.h's tq_rows). Output row r reads input
    rows r - pad_top .. r - pad_top + window - 1 and has as many bytes as an input row, so
    it belongs where input row r was. That row may not be overwritten while output rows up
    to r + pad_top still read it: each call's `per_call` output rows wait in a ring of
    scratch blocks until then, which is all the extra memory the layer takes."""

    height: int
    window: int
    pad_top: int
    row_bytes: int
    per_call: int = 1

    @property
    def blocks(self) -> int:
        return -(-self.pad_top // self.per_call) + 1

    @property
    def scratch_bytes(self) -> int:
        return self.blocks * self.per_call * self.row_bytes


@dataclass
class CCall:
    """One kernel call: `kernel(&params, *args)` or `kernel(*args)` without a params type."""

    kernel: str
    args: list[Arg]
    params_type: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class OpDef:
    name: str = ""
    aten: tuple[str, ...] = ()
    # Runtime files (relative to runtime_c/src) the emitted calls need.
    kernel_sources: tuple[str, ...] = ()
    # True for ops that only reinterpret memory (no kernel, output aliases input).
    is_alias: bool = False
    # Inputs whose buffer the kernel may overwrite with its output (out == in[i] is safe,
    # the sizes are equal); the planner does so when that input dies at this node.
    inplace_inputs: tuple[int, ...] = ()
    # True for ops whose output always is input 0's buffer (a kernel writes part of it,
    # e.g. paste); the planner merges them like an alias, but the kernel runs.
    writes_into_input: bool = False
    # True for ops with a weight tensor whose bit width is chosen per layer (int8 / int4).
    weighted: bool = False

    def row_window(self, node: Node, graph: Graph) -> RowWindow | None:
        """The row geometry if the kernel call may run in place over input 0 row by row
        (convolutions with stride 1 down the rows and equal input / output row bytes)."""
        return None

    def writes_behind_reads(self, node: Node, graph: Graph) -> bool:
        """True if the kernel may write its (possibly smaller) output over input 0 as it
        goes: each output pixel is written after its window is read, and no later window
        reads at or below it (unpadded pooling; tinyq.h says which kernels)."""
        return False

    def lower(self, fx_node: Any, ctx: LowerContext) -> None:
        raise AssertionError(f"op {self.name} lowers no ATen node")

    def float_ref(self, node: Node, inputs: list[torch.Tensor],
                  graph: Graph) -> torch.Tensor:
        raise AssertionError(f"op {self.name} has no float semantics")

    def output_qparams(self, node: Node, in_q: list[QParams], observed: QParams) -> QParams:
        """Default: the calibrated range of the output. Ops that cannot change the range
        (max pool, padding, reshape) override this to keep the input's parameters."""
        return observed

    def quantize(self, node: Node, in_q: list[QParams], out_q: QParams) -> dict[str, Any]:
        return {}

    def simulate(self, node: Node, inputs: list[np.ndarray], graph: Graph) -> np.ndarray:
        raise AssertionError(f"op {self.name} has no integer reference")

    def emit(self, node: Node, graph: Graph) -> list[CCall]:
        raise AssertionError(f"op {self.name} emits no C")

    def macs(self, node: Node, graph: Graph) -> int:
        return 0

    def weight_bytes(self, node: Node, graph: Graph) -> int:
        """Flash bytes of the node's constants (weights, bias, multipliers, tables)."""
        return sum(c.data.nbytes for call in self.emit(node, graph) for c in consts_of(call))


def const_key(c: Const) -> tuple[str, tuple[int, ...], bytes]:
    """Constants with equal keys hold the same bytes: the generated code emits one array
    for them (the copies patch-based execution makes of a layer share its weights)."""
    return c.ctype, tuple(c.data.shape), np.ascontiguousarray(c.data).tobytes()


def consts_of(call: CCall) -> list[Const]:
    found = [v for v in call.params.values() if isinstance(v, Const)]
    return found + [a for a in call.args if isinstance(a, Const)]


OPS: dict[str, OpDef] = {}


def register(cls: type[OpDef]) -> type[OpDef]:
    """Class decorator: instantiate the op and make it visible to every stage."""
    if cls.name in OPS:
        raise AssertionError(f"op {cls.name} registered twice")
    OPS[cls.name] = cls()
    return cls


def op_of(node: Node) -> OpDef:
    return OPS[node.op]


def aten_table() -> dict[str, OpDef]:
    """ATen overload name -> the op that lowers it."""
    table: dict[str, OpDef] = {}
    for op in OPS.values():
        for target in op.aten:
            table[target] = op
    return table
