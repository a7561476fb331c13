"""The Python API: a converted project you can simulate, build and call from a notebook.

    import tinyq
    proj = tinyq.convert("digits_cnn.pt", calib="calib.npy", out_dir="build/digits")
    result = proj.test(x_test, y_test)       # bit-exact check + accuracies
    logits_q = proj.run_c(proj.quantize_input(x_test))

Takes a directory written by `tinyq convert`; relies on its tinyq/graph.* for the golden
simulator and float reference, and on its C sources for the host build.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tinyq.errors import TinyqError
from tinyq.host.project_lib import HostModel
from tinyq.ir import Graph
from tinyq.ir_io import load_graph
from tinyq.metrics import sqnr_db, top1
from tinyq.sim.float_exec import run_float
from tinyq.sim.interpreter import run_int, run_int_output
from tinyq.sim.layout import to_ir_layout

BATCH = 64


@dataclass
class TestResult:
    bit_exact: bool
    n: int
    float_top1: float | None
    int_top1: float | None
    agreement: float
    sqnr_db: float
    first_mismatch: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class Project:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not (self.path / "report.json").is_file():
            raise TinyqError(f"'{self.path}' is not a tinyq project (no report.json); "
                             "create one with `tinyq convert`")
        self.graph: Graph = load_graph(self.path / "tinyq")
        self.report = json.loads((self.path / "report.json").read_text())
        self._host: HostModel | None = None

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.graph.input_torch_shape[1:])

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Float batch in PyTorch layout -> int8 batch in IR layout (the C input)."""
        q = self.graph.tensors[self.graph.inputs[0]].qparams
        return q.quantize(to_ir_layout(np.asarray(x, dtype=np.float32)))

    def dequantize_output(self, yq: np.ndarray) -> np.ndarray:
        return self.graph.tensors[self.graph.outputs[0]].qparams.dequantize(yq)

    def run_float(self, x: np.ndarray) -> np.ndarray:
        xi = to_ir_layout(np.asarray(x, dtype=np.float32))
        return np.concatenate([run_float(self.graph, xi[i:i + BATCH])
                               for i in range(0, xi.shape[0], BATCH)])

    def simulate(self, xq: np.ndarray) -> np.ndarray:
        return np.concatenate([run_int_output(self.graph, xq[i:i + BATCH])
                               for i in range(0, xq.shape[0], BATCH)])

    def host(self) -> HostModel:
        if self._host is None:
            self._host = HostModel(self.path)
        return self._host

    def run_c(self, xq: np.ndarray) -> np.ndarray:
        return self.host().run(xq)

    def run_target(self, target: str, xq: np.ndarray, timeout: float = 600.0):
        """Firmware for an emulated target (name or alias), run under QEMU on xq (int8, IR
        layout): a tinyq.emu.verify.TargetRun with outputs, simulator outputs and counts."""
        from tinyq.targets import load_target

        return self.run_on(load_target(target), xq, timeout)

    def run_on(self, target, xq: np.ndarray, timeout: float = 600.0):  # noqa: ANN001
        from tinyq.emu.verify import run_on_target

        return run_on_target(self, target, xq, timeout)

    def test(self, x: np.ndarray, labels: np.ndarray | None = None) -> TestResult:
        xq = self.quantize_input(x)
        sim = self.simulate(xq)
        c_out = self.run_c(xq).reshape(sim.shape)
        exact = bool(np.array_equal(sim, c_out))
        mismatch = None
        if not exact:
            first = int(np.argmax(np.any((sim != c_out).reshape(sim.shape[0], -1), axis=1)))
            mismatch = self.first_mismatching_tensor(xq[first:first + 1])
        ref = self.run_float(x)
        deq = self.dequantize_output(sim)
        ft, it = top1(ref), top1(sim)
        return TestResult(
            bit_exact=exact, n=int(x.shape[0]),
            float_top1=None if labels is None else float(np.mean(ft == labels)),
            int_top1=None if labels is None else float(np.mean(it == labels)),
            agreement=float(np.mean(ft == it)), sqnr_db=sqnr_db(ref, deq),
            first_mismatch=mismatch)

    def first_mismatching_tensor(self, xq: np.ndarray) -> str:
        """Run each layer's C kernels on the simulator's own inputs; name the first layer
        whose output differs (the kernels are the project's runtime sources)."""
        from tinyq.host.kernels import KernelLib
        from tinyq.ops import op_of

        values = run_int(self.graph, xq, keep_all=True)
        kernels = KernelLib(self.path / "build" / "kernels")
        for node in self.graph.nodes:
            op = op_of(node)
            if op.is_alias:
                continue
            want = values[node.output][0]
            ins = [np.ascontiguousarray(values[t][0]) for t in node.inputs]
            # A kernel that writes into its input's buffer sees that input's bytes there.
            got = (ins[0].copy() if op.writes_into_input and len(ins) > 1
                   else np.zeros_like(want))
            for call in op.emit(node, self.graph):
                kernels.call(call, ins, got)
            if not np.array_equal(want, got):
                return f"{node.output} ({node.where()})"
        return "the model output (every layer matches alone: check the arena plan)"
