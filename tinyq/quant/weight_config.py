"""The per-layer weight bit width: user options -> {node name: 4 or 8}.

Takes the graph after the passes (its weighted nodes have their final names), the default
(`--weights int8|int4`) and an optional `--weights-config` file; gives the bit width of
every weighted node, which ptq.quantize takes. A mixed-precision search can produce the
same dict instead.

The config file is JSON (.json) or TOML (.toml): a mapping from a layer to "int4" or
"int8". A layer is named by its IR node name (report.json `name`, e.g. "convolution_2")
or by the PyTorch module path it came from (report.json `source` without the class, e.g.
"stem.0"). TOML dotted keys (stem.0 = "int4") nest into tables; they are joined back
with dots. Every entry must name a layer with weights; anything else is an error that
names the file and the entry.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyq.errors import TinyqError
from tinyq.ir import Graph, Node
from tinyq.ops import op_of
from tinyq.quant.adaround import RoundingOptions

WEIGHT_CHOICES = {"int8": 8, "int4": 4}
# --weights: one width for every layer, or "mixed", chosen per layer by quant/mixed.py
WEIGHT_MODES = (*WEIGHT_CHOICES, "mixed")


@dataclass(frozen=True)
class WeightOptions:
    """The weight side of a conversion (ConvertOptions.weights / weights_config)."""

    default: str = "int8"  # width of every layer the config does not name, or "mixed"
    config: Path | None = None  # JSON / TOML {layer: "int4" | "int8"}
    int4_clip: str = "mse"  # int4 scales: "mse" clipping search, or plain "max"
    # int4 layers: correct the bias with input means. None: only with round-to-nearest;
    # after learned rounding it measured worse (benchmarks/results_int4_jitter.md).
    bias_correction: bool | None = None
    optimize_rounding: bool = False  # learn each weight's rounding (AdaRound), every layer
    rounding: RoundingOptions = RoundingOptions()  # how (iterations, ...), if so

    @property
    def corrects_bias(self) -> bool:
        if self.bias_correction is None:
            return not self.optimize_rounding
        return self.bias_correction


def int4_inputs(graph: Graph, bits: dict[str, int]) -> set[str]:
    """The input tensors of int4 layers: whose channel means bias correction needs."""
    return {n.inputs[0] for n in graph.nodes if bits.get(n.name) == 4}


def weight_bits(graph: Graph, default: str, config: Path | None) -> dict[str, int]:
    """Every weighted node -> its bit width: the config's entry, else the default."""
    if default not in WEIGHT_CHOICES:
        raise TinyqError(f"--weights '{default}' unknown; choose from "
                         f"{', '.join(WEIGHT_CHOICES)}")
    weighted = [n for n in graph.nodes if op_of(n).weighted]
    return {n.name: WEIGHT_CHOICES[default] for n in weighted} | pinned_bits(graph, config)


def pinned_bits(graph: Graph, config: Path | None) -> dict[str, int]:
    """Only the layers the config names -> their bit width (for --weights mixed, these
    are fixed and the search chooses the rest)."""
    if config is None:
        return {}
    weighted = [n for n in graph.nodes if op_of(n).weighted]
    bits = {}
    for key, value in read_config(Path(config)).items():
        for node in layers_named(key, weighted, config, graph):
            bits[node.name] = config_value(value, key, config)
    return bits


def read_config(path: Path) -> dict[str, Any]:
    """The file's entries as one flat {layer: value} mapping."""
    if not path.is_file():
        raise TinyqError(f"--weights-config: file '{path}' not found")
    text = path.read_text(errors="replace")
    try:
        if path.suffix == ".json":
            doc = json.loads(text)
        elif path.suffix == ".toml":
            doc = tomllib.loads(text)
        else:
            raise TinyqError(f"--weights-config '{path}': use a .json or .toml file")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise TinyqError(f"--weights-config '{path}' is not valid "
                         f"{path.suffix[1:].upper()}: {e}") from None
    if not isinstance(doc, dict):
        raise TinyqError(f"--weights-config '{path}': expected a mapping of layer names to "
                         f"\"int4\" / \"int8\", got a {type(doc).__name__}")
    return flatten(doc)


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """TOML's `stem.0 = "int4"` arrives as {"stem": {"0": "int4"}}; join it back."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def module_path(node: Node) -> str:
    """'stem.0 (Conv2d)' -> 'stem.0'."""
    return node.source.split(" (", 1)[0]


def layers_named(key: str, weighted: list[Node], path: Path, graph: Graph) -> list[Node]:
    by_name = [n for n in weighted if n.name == key]
    found = by_name or [n for n in weighted if module_path(n) == key]
    if found:
        return found
    other = next((n for n in graph.nodes if key in (n.name, module_path(n))), None)
    if other is not None:
        raise TinyqError(f"--weights-config '{path}': entry '{key}' is {other.where()}, "
                         "which has no weights")
    known = ", ".join(f"{n.name} ({module_path(n)})" for n in weighted)
    raise TinyqError(f"--weights-config '{path}': entry '{key}' names no layer of the "
                     f"model; layers with weights: {known}")


def config_value(value: Any, key: str, path: Path) -> int:
    if isinstance(value, str) and value in WEIGHT_CHOICES:
        return WEIGHT_CHOICES[value]
    raise TinyqError(f"--weights-config '{path}': entry '{key}' = {value!r}; use "
                     f"{' or '.join(repr(c) for c in WEIGHT_CHOICES)}")
