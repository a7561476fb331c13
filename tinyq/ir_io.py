"""Save / load a quantized ir.Graph inside a project (tinyq/graph.json + graph.bin).

`tinyq test` and the Python API need the golden simulator and the float reference of a
converted project without the original model file. No pickle (loading runs no code), and
byte-deterministic: arrays are concatenated into graph.bin in a fixed order and indexed
from the JSON by dtype, shape and offset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node, QParams, Tensor

FORMAT = 1


class _Blob:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, a: np.ndarray) -> dict[str, Any]:
        a = np.ascontiguousarray(a)
        ref = {"__array__": a.dtype.str, "shape": list(a.shape), "offset": self.size}
        data = a.tobytes()
        self.parts.append(data)
        self.size += len(data)
        return ref


def _encode(value: Any, blob: _Blob) -> Any:
    if isinstance(value, np.ndarray):
        return blob.add(value)
    if isinstance(value, dict):
        return {k: _encode(v, blob) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, blob) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any, data: bytes) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            dtype = np.dtype(value["__array__"])
            count = int(np.prod(value["shape"])) if value["shape"] else 1
            flat = np.frombuffer(data, dtype=dtype, count=count, offset=value["offset"])
            return flat.reshape(value["shape"]).copy()
        return {k: _decode(v, data) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_decode(v, data) for v in value)
    return value


def save_graph(graph: Graph, directory: Path) -> None:
    blob = _Blob()
    doc = {
        "format": FORMAT,
        "inputs": graph.inputs,
        "outputs": graph.outputs,
        "input_torch_shape": list(graph.input_torch_shape),
        "output_torch_shape": list(graph.output_torch_shape),
        "tensors": [{"name": t.name, "shape": list(t.shape),
                     "qparams": None if t.qparams is None else [t.qparams.scale,
                                                                t.qparams.zero_point]}
                    for t in graph.tensors.values()],
        "nodes": [{"name": n.name, "op": n.op, "inputs": n.inputs, "outputs": n.outputs,
                   "source": n.source, "attrs": _encode(n.attrs, blob),
                   "params": _encode(n.params, blob), "qattrs": _encode(n.qattrs, blob)}
                  for n in graph.nodes],
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "graph.json").write_text(json.dumps(doc, indent=1) + "\n")
    (directory / "graph.bin").write_bytes(b"".join(blob.parts))


def load_graph(directory: Path) -> Graph:
    try:
        doc = json.loads((directory / "graph.json").read_text())
        data = (directory / "graph.bin").read_bytes()
    except (OSError, ValueError) as e:
        raise TinyqError(f"'{directory}' holds no readable tinyq graph: {e}") from None
    if doc.get("format") != FORMAT:
        raise TinyqError(f"'{directory}' was written by an incompatible tinyq version")
    tensors = {}
    for t in doc["tensors"]:
        q = t["qparams"]
        tensors[t["name"]] = Tensor(t["name"], tuple(t["shape"]),
                                    None if q is None else QParams(q[0], int(q[1])))
    nodes = [Node(name=n["name"], op=n["op"], inputs=list(n["inputs"]),
                  outputs=list(n["outputs"]), attrs=dict(_decode(n["attrs"], data)),
                  params=dict(_decode(n["params"], data)),
                  qattrs=_decode_qattrs(n["qattrs"], data), source=n["source"])
             for n in doc["nodes"]]
    return Graph(tensors=tensors, nodes=nodes, inputs=list(doc["inputs"]),
                 outputs=list(doc["outputs"]),
                 input_torch_shape=tuple(doc["input_torch_shape"]),
                 output_torch_shape=tuple(doc["output_torch_shape"]))


def _decode_qattrs(value: dict[str, Any], data: bytes) -> dict[str, Any]:
    out = dict(_decode(value, data))
    # lists of dicts (concat parts) must stay lists of dicts
    return {k: (list(v) if isinstance(v, tuple) and v and isinstance(v[0], dict) else v)
            for k, v in out.items()}
