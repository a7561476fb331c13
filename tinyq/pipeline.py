"""The conversion pipeline: model file -> quantized, planned IR -> C project.

One flat function; each stage reads only the previous stage's output, and the IR
verifier runs between stages.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tinyq import __version__
from tinyq.codegen.project import runtime_root, write_project
from tinyq.codegen.variants import (KERNEL_CHOICES, OPTIMIZE_MODES, graph_variants,
                                    scratch_needs)
from tinyq.data import load_float_batch, parse_shape
from tinyq.errors import TinyqError
from tinyq.frontend.capture import capture, exported_input_shape
from tinyq.frontend.load import ensure_cwd_importable, load_model
from tinyq.frontend.to_ir import to_ir
from tinyq.ir import Graph, QParams, verify
from tinyq.ir_io import save_graph
from tinyq.passes import PASSES
from tinyq.plan.arena import INPLACE_MODES, Plan, check_plan, plan_arena
from tinyq.plan.patch_choice import PatchOptions, plan_with_patches
from tinyq.quant.adaround import Progress, RoundingLearner, RoundingOptions
from tinyq.quant.auto_ranges import AUTO, choose_ranges
from tinyq.quant.bit_variants import quantize_variants
from tinyq.quant.calibrate import calibrate, channel_means
from tinyq.quant.latency import CostTable, load_costs
from tinyq.quant.mixed import MixedOptions, MixedResult, choose_bits, parse_flash_budget
from tinyq.quant.observers import METHODS
from tinyq.quant.ptq import quantize
from tinyq.quant.synthetic import SYNTHETIC, Synthesis, synthesize
from tinyq.quant.weight_config import (WEIGHT_MODES, WeightOptions, int4_inputs,
                                       pinned_bits, read_config, weight_bits)
from tinyq.sim.float_exec import run_float
from tinyq.sim.layout import to_ir_layout, to_torch_layout
from tinyq.targets import load_target

FLOAT_CHECK_SAMPLES = 8
FLOAT_CHECK_TOL = 1e-3
CALIB_METHODS = (*METHODS, AUTO)


@dataclass
class ConvertOptions:
    calib: Path | str | None = None  # samples file, or "synthetic" (data-free, ZeroQ)
    input_shape: str | tuple[int, ...] | None = None
    model_class: str | None = None
    state_dict: Path | None = None  # for model_class, if not the model file itself
    calib_method: str = "minmax"  # an observer of quant/observers.py, or "auto"
    weights: str = "int8"  # every layer "int8" or "int4", or "mixed" (chosen per layer)
    weights_config: Path | None = None  # JSON / TOML {layer: "int4" | "int8"} overrides
    flash_budget: str | None = None  # mixed: bytes, "0.6" or "60%" of the int8 weights
    latency_budget: int | None = None  # mixed: instructions per inference on the target
    optimize_rounding: bool = False  # AdaRound: learn each weight's rounding direction
    rounding_iterations: int = RoundingOptions.iterations  # per layer, if so
    progress: Progress | None = None  # called as rounding is learned (the CLI's bar)
    target: str = "host"
    name: str = "model"
    force: bool = False
    patch: str = "auto"  # patch-based execution: "off", "auto" or "LAYER:N"
    max_mac_overhead: float = 0.10  # extra MACs patches may cost (auto)
    sram_budget: int | None = None  # arena bytes the plan must fit, else an error
    inplace: str = "auto"  # layers over their own input: "auto" where it pays, "all", "off"
    optimize: str = "size"  # "speed": kernels with faster weight layouts (more flash)
    kernels: str = "auto"  # "reference": the portable C kernels even where ISA variants exist


@dataclass
class Conversion:
    graph: Graph
    plan: Plan
    out_dir: Path
    seconds: float


@dataclass
class CalibData:
    x: np.ndarray  # N x sample shape, PyTorch layout
    shape: tuple[int, ...]  # the model input, batch 1
    source: str  # the file's name, or "synthetic"
    synthesis: Synthesis | None = None  # how a data-free batch was made


@dataclass
class QuantizedModel:
    graph: Graph
    calibration: dict[str, Any]  # how ranges were chosen, for report.json
    mixed: MixedResult | None = None  # the per-layer choice of --weights mixed


def convert_model(model_path: Path, out_dir: Path, opts: ConvertOptions) -> Conversion:
    start = time.perf_counter()
    check_options(opts, Path(out_dir))
    ensure_cwd_importable()
    model = load_model(Path(model_path), opts.model_class, opts.state_dict)  # load the file
    calib = calibration_data(opts, model, Path(model_path).name)  # samples, or synthesised
    weights = WeightOptions(opts.weights, opts.weights_config,
                            optimize_rounding=opts.optimize_rounding,
                            rounding=RoundingOptions(iterations=opts.rounding_iterations))
    target = load_target(opts.target)  # aliases resolve to the board's own name
    if opts.kernels == "reference":  # a target without ISA features gets no variants
        target = replace(target, isa_features=())
    mixed = (MixedOptions(opts.flash_budget, opts.latency_budget)
             if opts.weights == "mixed" else None)
    costs = load_costs(target) if opts.latency_budget is not None else None
    quantized = quantize_model(model, calib.x, calib.shape, opts.calib_method, weights,
                               opts.progress, mixed, costs)
    graph = quantized.graph
    variants = graph_variants(graph, target.isa_features, runtime_root() / "src",
                              opts.optimize)  # --optimize speed: other layouts, symbols

    def planner(g: Graph) -> Plan:  # static arena offsets, the target's kernel scratch
        return plan_arena(g, opts.inplace, scratch_needs(g, variants))

    planned = plan_with_patches(graph, PatchOptions(opts.patch, opts.max_mac_overhead,
                                                    opts.sram_budget), planner)
    graph, plan = planned.graph, planned.plan
    plan.patches = planned.summary
    check_plan(plan)
    origin = Path(model_path).name
    report_extra: dict[str, Any] = {
        "calibration": {**quantized.calibration, **calibration_source(calib)},
        "kernels": opts.kernels}
    if quantized.mixed is not None:
        report_extra["mixed"] = quantized.mixed.as_report()
    written = write_project(graph, plan, Path(out_dir), opts.name, target, origin,
                            __version__, opts.force, extra=lambda d: save_graph(graph,
                                                                                 d / "tinyq"),
                            report_extra=report_extra, optimize=opts.optimize)
    return Conversion(graph, plan, written, time.perf_counter() - start)


def quantized_graph(model: Any, calib: np.ndarray, shape: tuple[int, ...] | None,
                    calib_method: str = "minmax",
                    weights: WeightOptions = WeightOptions(),
                    progress: Progress | None = None) -> Graph:
    """Model (nn.Module or ExportedProgram) + calibration batch -> quantized IR.
    progress: told how learned rounding goes (weights.optimize_rounding); else silent."""
    return quantize_model(model, calib, shape, calib_method, weights, progress).graph


def quantize_model(model: Any, calib: np.ndarray, shape: tuple[int, ...] | None,
                   calib_method: str = "minmax",
                   weights: WeightOptions = WeightOptions(),
                   progress: Progress | None = None, mixed: MixedOptions | None = None,
                   costs: CostTable | None = None) -> QuantizedModel:
    """quantized_graph, with what calibration chose (the report's `calibration`), plus the
    per-layer search when weights.default is "mixed" (which then needs `mixed`; `costs`
    only for a latency budget)."""
    graph = float_graph(model, calib, shape)  # float IR after the passes, checked
    if calib_method == AUTO:  # per tensor, the observer that least disturbs the output
        choice = choose_ranges(graph, calib)
        ranges = choice.ranges
        calibration = {"method": AUTO, "auto": choice.summary()}
    else:
        ranges = calibrate(graph, calib, calib_method)  # observers on every tensor
        calibration = {"method": calib_method}
    if weights.default == "mixed":
        if mixed is None:
            raise AssertionError("--weights mixed without MixedOptions")
        result = mixed_precision(graph, ranges, calib, weights, mixed, costs)
        verify(result.graph, "mixed-precision quantization")
        return QuantizedModel(result.graph, calibration, result)
    bits = weight_bits(graph, weights.default, weights.config)  # {layer: 4 or 8}
    means = (channel_means(graph, calib, int4_inputs(graph, bits))  # int4 bias correction
             if weights.corrects_bias else {})
    learner = (RoundingLearner(graph, calib, weights.rounding, progress)  # AdaRound
               if weights.optimize_rounding else None)
    graph = quantize(graph, ranges, bits, weights.int4_clip, means, learner)  # weights, M
    verify(graph, "quantization")
    return QuantizedModel(graph, calibration)


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
                                 weights.corrects_bias)  # all-int8 and all-int4
    # sensitivities (Hessian traces, int4-alone errors), ILP, Pareto curve
    return choose_bits(variants, calib, mixed, pinned, costs)


def check_options(opts: ConvertOptions, out_dir: Path) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", opts.name):
        raise TinyqError(f"--name '{opts.name}' must be a C identifier")
    if opts.calib_method not in CALIB_METHODS:
        raise TinyqError(f"--calib-method '{opts.calib_method}' unknown; choose from "
                         f"{', '.join(CALIB_METHODS)}")
    try:
        load_target(opts.target)
    except TinyqError as e:
        raise TinyqError(f"--target: {e}") from None
    if opts.inplace not in INPLACE_MODES:
        raise TinyqError(f"--in-place '{opts.inplace}' unknown; choose from "
                         f"{', '.join(INPLACE_MODES)}")
    if opts.optimize not in OPTIMIZE_MODES:
        raise TinyqError(f"--optimize '{opts.optimize}' unknown; choose from "
                         f"{', '.join(OPTIMIZE_MODES)}")
    if opts.kernels not in KERNEL_CHOICES:
        raise TinyqError(f"--kernels '{opts.kernels}' unknown; choose from "
                         f"{', '.join(KERNEL_CHOICES)}")
    if opts.weights not in WEIGHT_MODES:
        raise TinyqError(f"--weights '{opts.weights}' unknown; choose from "
                         f"{', '.join(WEIGHT_MODES)} (a state_dict file goes to --state-dict)")
    if opts.rounding_iterations < 1:
        raise TinyqError(f"--rounding-iterations {opts.rounding_iterations}: need at least 1")
    if opts.optimize_rounding and opts.weights == "mixed":
        # The search assembles a mix from an all-int8 and an all-int4 quantization, exact
        # only while each layer's weights do not depend on the layers before it, which
        # learned rounding's do.
        raise TinyqError("--optimize-rounding does not combine with --weights mixed; pin "
                         "the int4 layers with --weights int4 and --weights-config instead")
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


def calibration_data(opts: ConvertOptions, model: Any, origin: str) -> CalibData:
    """--calib FILE (checked against --input-shape), or a batch synthesised from the
    model's BatchNorm statistics for `--calib synthetic`."""
    shape = opts.input_shape
    if isinstance(shape, str):
        shape = parse_shape(shape)
    if shape is not None and shape[0] != 1:
        raise TinyqError(f"--input-shape {tuple(shape)}: the batch dimension must be 1")
    if opts.calib is None:
        raise TinyqError("--calib is required: tinyq calibrates activations on real samples "
                         "(or, without data, --calib synthetic)")
    if str(opts.calib) == SYNTHETIC:
        shape = synthesis_shape(model, shape, origin)
        synthesis = synthesize(model, shape, origin)
        return CalibData(synthesis.x, shape, SYNTHETIC, synthesis)
    sample = tuple(shape[1:]) if shape else None
    x = load_float_batch(Path(opts.calib), "--calib", sample)
    return CalibData(x, tuple(shape) if shape else (1, *x.shape[1:]), Path(opts.calib).name)


def synthesis_shape(model: Any, shape: tuple[int, ...] | None,
                    origin: str) -> tuple[int, ...]:
    """The input shape data-free calibration synthesises: the .pt2 file's own, else
    --input-shape."""
    exported = exported_input_shape(model)
    if exported is not None and shape is not None and tuple(shape) != exported:
        raise TinyqError(f"--input-shape {tuple(shape)} differs from {exported}, the shape "
                         f"'{origin}' was exported with")
    if exported is None and shape is None:
        raise TinyqError("--calib synthetic needs the model's input shape: give "
                         "--input-shape 1,C,H,W (a .pt2 file carries it)")
    return exported or tuple(shape)


def calibration_source(calib: CalibData) -> dict[str, Any]:
    """Where the calibration samples came from, for the report."""
    entry: dict[str, Any] = {"data": calib.source, "samples": int(calib.x.shape[0]),
                             "data_free": calib.synthesis is not None}
    if calib.synthesis is not None:
        entry["synthetic"] = calib.synthesis.summary()
    return entry


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
