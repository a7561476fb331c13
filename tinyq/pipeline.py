"""The conversion pipeline: model file -> quantized, planned IR -> C project.

One flat function; each stage reads only the previous stage's output, and the IR
verifier runs between stages.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tinyq import __version__
from tinyq.codegen.project import runtime_root, write_project
from tinyq.codegen.variants import graph_variants, scratch_needs
from tinyq.data import load_float_batch, parse_shape
from tinyq.errors import TinyqError
from tinyq.frontend.capture import capture
from tinyq.frontend.load import ensure_cwd_importable, load_model
from tinyq.frontend.to_ir import to_ir
from tinyq.ir import Graph, QParams, verify
from tinyq.ir_io import save_graph
from tinyq.passes import PASSES
from tinyq.plan.arena import Plan, check_plan, plan_arena
from tinyq.plan.patch_choice import PatchOptions, plan_with_patches
from tinyq.quant.bit_variants import quantize_variants
from tinyq.quant.calibrate import calibrate, channel_means
from tinyq.quant.latency import CostTable, load_costs
from tinyq.quant.mixed import MixedOptions, MixedResult, choose_bits, parse_flash_budget
from tinyq.quant.observers import METHODS
from tinyq.quant.ptq import quantize
from tinyq.quant.weight_config import (WEIGHT_MODES, WeightOptions, int4_inputs,
                                       pinned_bits, read_config, weight_bits)
from tinyq.sim.float_exec import run_float
from tinyq.sim.layout import to_ir_layout, to_torch_layout
from tinyq.targets import load_target

FLOAT_CHECK_SAMPLES = 8
FLOAT_CHECK_TOL = 1e-3


@dataclass
class ConvertOptions:
    calib: Path | None = None
    input_shape: str | tuple[int, ...] | None = None
    model_class: str | None = None
    state_dict: Path | None = None  # for model_class, if not the model file itself
    calib_method: str = "minmax"
    weights: str = "int8"  # every layer "int8" or "int4", or "mixed" (chosen per layer)
    weights_config: Path | None = None  # JSON / TOML {layer: "int4" | "int8"} overrides
    flash_budget: str | None = None  # mixed: bytes, "0.6" or "60%" of the int8 weights
    latency_budget: int | None = None  # mixed: instructions per inference on the target
    target: str = "host"
    name: str = "model"
    force: bool = False
    patch: str = "auto"  # patch-based execution: "off", "auto" or "LAYER:N"
    max_mac_overhead: float = 0.10  # extra MACs patches may cost (auto)
    sram_budget: int | None = None  # arena bytes the plan must fit, else an error


@dataclass
class Conversion:
    graph: Graph
    plan: Plan
    out_dir: Path
    seconds: float


def convert_model(model_path: Path, out_dir: Path, opts: ConvertOptions) -> Conversion:
    start = time.perf_counter()
    check_options(opts, Path(out_dir))
    ensure_cwd_importable()
    model = load_model(Path(model_path), opts.model_class, opts.state_dict)  # load the file
    calib, shape = calibration_data(opts)  # the user's samples, batch shape
    if calib is None:
        raise TinyqError("--calib is required: tinyq calibrates activations on real samples")
    target = load_target(opts.target)  # aliases resolve to the board's own name
    mixed = (MixedOptions(opts.flash_budget, opts.latency_budget)
             if opts.weights == "mixed" else None)
    costs = load_costs(target) if opts.latency_budget is not None else None
    quantized = quantize_model(model, calib, shape, opts.calib_method,
                               WeightOptions(opts.weights, opts.weights_config), mixed, costs)
    graph = quantized.graph
    variants = graph_variants(graph, target.isa_features, runtime_root() / "src")

    def planner(g: Graph) -> Plan:  # static arena offsets, the target's kernel scratch
        return plan_arena(g, scratch=scratch_needs(g, variants))

    planned = plan_with_patches(graph, PatchOptions(opts.patch, opts.max_mac_overhead,
                                                    opts.sram_budget), planner)
    graph, plan = planned.graph, planned.plan
    plan.patches = planned.summary
    check_plan(plan)
    origin = Path(model_path).name
    report_extra = {"mixed": quantized.mixed.as_report()} if quantized.mixed else None
    written = write_project(graph, plan, Path(out_dir), opts.name, target, origin,
                            __version__, opts.force, extra=lambda d: save_graph(graph,
                                                                                 d / "tinyq"),
                            report_extra=report_extra)
    return Conversion(graph, plan, written, time.perf_counter() - start)


@dataclass
class Quantized:
    graph: Graph
    mixed: MixedResult | None = None  # the per-layer choice of --weights mixed


def quantized_graph(model: Any, calib: np.ndarray, shape: tuple[int, ...] | None,
                    calib_method: str = "minmax",
                    weights: WeightOptions = WeightOptions()) -> Graph:
    """Model (nn.Module or ExportedProgram) + calibration batch -> quantized IR."""
    return quantize_model(model, calib, shape, calib_method, weights).graph


def quantize_model(model: Any, calib: np.ndarray, shape: tuple[int, ...] | None,
                   calib_method: str = "minmax", weights: WeightOptions = WeightOptions(),
                   mixed: MixedOptions | None = None,
                   costs: CostTable | None = None) -> Quantized:
    """quantized_graph, plus the per-layer search when weights.default is "mixed" (which
    then needs `mixed`; `costs` only for a latency budget)."""
    graph = float_graph(model, calib, shape)  # float IR after the passes, checked
    ranges = calibrate(graph, calib, calib_method)  # observers on every tensor
    if weights.default == "mixed":
        if mixed is None:
            raise AssertionError("--weights mixed without MixedOptions")
        result = mixed_precision(graph, ranges, calib, weights, mixed, costs)
        verify(result.graph, "mixed-precision quantization")
        return Quantized(result.graph, result)
    bits = weight_bits(graph, weights.default, weights.config)  # {layer: 4 or 8}
    means = (channel_means(graph, calib, int4_inputs(graph, bits))  # int4 bias correction
             if weights.bias_correction else {})
    graph = quantize(graph, ranges, bits, weights.int4_clip, means)  # int weights, bias, M
    verify(graph, "quantization")
    return Quantized(graph)


def float_graph(model: Any, calib: np.ndarray, shape: tuple[int, ...] | None) -> Graph:
    """Model + calibration batch -> the float IR after every pass, checked against the
    model on a few samples (calibration and quantization start from it)."""
    ep = capture(model, shape)  # torch.export, core ATen
    graph = to_ir(ep)  # ATen -> IR, channels last
    verify(graph, "front end")
    sample_shape = graph.input_torch_shape[1:]
    if tuple(calib.shape[1:]) != tuple(sample_shape):
        raise TinyqError(f"--calib: samples of shape {tuple(calib.shape[1:])} but the model "
                         f"takes {tuple(sample_shape)}")
    for rewrite in PASSES:  # fold BN / padding, fuse activations, flatten order
        graph = rewrite(graph)
        verify(graph, rewrite.__name__)
    check_float_ir(graph, ep, calib)  # the IR still computes what PyTorch computes
    return graph


def mixed_precision(graph: Graph, ranges: dict[str, QParams], calib: np.ndarray,
                    weights: WeightOptions, mixed: MixedOptions,
                    costs: CostTable | None) -> MixedResult:
    """--weights mixed: per-layer bits by ILP, then the graph quantized that way."""
    pinned = pinned_bits(graph, weights.config)  # --weights-config entries stay fixed
    variants = quantize_variants(graph, ranges, calib, weights.int4_clip,
                                 weights.bias_correction)  # all-int8 and all-int4
    # sensitivities (Hessian traces, int4-alone errors), ILP, Pareto curve
    return choose_bits(variants, calib, mixed, pinned, costs)


def check_options(opts: ConvertOptions, out_dir: Path) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", opts.name):
        raise TinyqError(f"--name '{opts.name}' must be a C identifier")
    if opts.calib_method not in METHODS:
        raise TinyqError(f"--calib-method '{opts.calib_method}' unknown; choose from "
                         f"{', '.join(METHODS)}")
    try:
        load_target(opts.target)
    except TinyqError as e:
        raise TinyqError(f"--target: {e}") from None
    if opts.weights not in WEIGHT_MODES:
        raise TinyqError(f"--weights '{opts.weights}' unknown; choose from "
                         f"{', '.join(WEIGHT_MODES)} (a state_dict file goes to --state-dict)")
    check_mixed_options(opts)
    if opts.weights_config is not None:
        read_config(Path(opts.weights_config))  # syntax now; layer names after lowering
    if out_dir.exists() and not opts.force:
        raise TinyqError(f"output directory '{out_dir}' exists; use --force to replace it")


def check_mixed_options(opts: ConvertOptions) -> None:
    if opts.weights != "mixed":
        for value, flag in ((opts.flash_budget, "--flash-budget"),
                            (opts.latency_budget, "--latency-budget")):
            if value is not None:
                raise TinyqError(f"{flag} applies to --weights mixed only (got --weights "
                                 f"{opts.weights})")
        return
    if opts.flash_budget is None:
        raise TinyqError("--weights mixed needs --flash-budget: bytes (12000), a fraction "
                         "(0.6) or a percentage (60%) of the all-int8 weight flash")
    parse_flash_budget(opts.flash_budget, 1)  # syntax now; bytes once the model is known
    if opts.latency_budget is not None:
        if opts.latency_budget <= 0:
            raise TinyqError(f"--latency-budget {opts.latency_budget}: give instructions per "
                             "inference, a positive number")
        load_costs(load_target(opts.target))  # a clear error before the slow part


def calibration_data(opts: ConvertOptions) -> tuple[np.ndarray | None, tuple[int, ...] | None]:
    shape = opts.input_shape
    if isinstance(shape, str):
        shape = parse_shape(shape)
    calib = None
    if opts.calib is not None:
        sample = tuple(shape[1:]) if shape else None
        calib = load_float_batch(Path(opts.calib), "--calib", sample)
        if shape is None:
            shape = (1, *calib.shape[1:])
    if shape is not None and shape[0] != 1:
        raise TinyqError(f"--input-shape {tuple(shape)}: the batch dimension must be 1")
    return calib, (tuple(shape) if shape else None)


def check_float_ir(graph: Graph, ep: Any, calib: np.ndarray) -> None:
    """Guard against a front end or pass bug: the float IR must match PyTorch."""
    x = calib[:FLOAT_CHECK_SAMPLES]
    with torch.no_grad():
        module = ep.module()
        want = np.concatenate([module(torch.as_tensor(x[i:i + 1])).numpy()
                               for i in range(x.shape[0])])
    got = to_torch_layout(run_float(graph, to_ir_layout(x)), len(graph.output_torch_shape))
    scale = max(float(np.max(np.abs(want))), 1e-6)
    err = float(np.max(np.abs(got.reshape(want.shape) - want))) / scale
    if err > FLOAT_CHECK_TOL:
        raise AssertionError(f"float IR deviates from the PyTorch model by {err:.3g} "
                             "(relative): a tinyq front end / pass bug")
