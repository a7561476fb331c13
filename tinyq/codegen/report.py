"""report.json and report.md: what was built, layer by layer, and what it costs.

Deterministic (no timestamps or paths of the machine), so converting twice gives
byte-identical reports.
"""

from __future__ import annotations

import json
from typing import Any

from tinyq.ir import Graph, Node
from tinyq.ops import CCall, op_of
from tinyq.codegen.variants import Variant, target_const
from tinyq.ops.base import Const
from tinyq.plan.arena import Plan, rows_key


def placement(tensor: str, plan: Plan) -> dict[str, Any]:
    root = plan.roots.of[tensor]
    if root == plan.roots.input_root:
        return {"buffer": "in"}
    if root == plan.roots.output_root:
        return {"buffer": "out"}
    size = next(b.size for b in plan.buffers if b.name == root)
    return {"buffer": "arena", "offset": plan.offsets[root], "size": size}


def scratch_bytes(node: Node, plan: Plan) -> int:
    """Arena bytes the layer borrows while it runs: its kernel's scratch and, in place by
    rows, its ring of rows (0 for most layers)."""
    keys = {f"{node.name}#scratch", rows_key(node.name)}
    return sum(b.size for b in plan.buffers if b.name in keys)


def memory_timeline(graph: Graph, plan: Plan) -> list[dict[str, Any]]:
    """Per layer: the arena buffers alive while it runs and the bytes they occupy (the
    highest byte in use, so fragmentation shows) next to their sum."""
    steps = []
    index = 0
    for step, node in enumerate(graph.nodes):
        if op_of(node).is_alias:
            continue
        live = [b for b in plan.buffers if b.first <= step <= b.last]
        steps.append({"layer": index, "name": node.name,
                      "live": sorted(b.name for b in live),
                      "live_bytes": sum(b.size for b in live),
                      "high_water_bytes": max((plan.offsets[b.name] + b.size for b in live),
                                              default=0)})
        index += 1
    return steps


def new_const_bytes(calls: list[CCall], seen: set[tuple],
                    variants: dict[str, Variant] | None = None) -> int:
    """Flash bytes of the calls' constants not already counted (a patch copy of a layer
    shares the arrays of the first copy: model_c emits them once), in the layout the
    target build holds (a variant's own weight layout, e.g. --optimize speed)."""
    total = 0
    for call in calls:
        variant = (variants or {}).get(call.kernel)
        for key_name, c in const_items(call):
            key, alt = target_const(variant, key_name, call.params, c)
            if key not in seen:
                seen.add(key)
                total += c.data.nbytes if alt is None else alt.nbytes
    return total


def const_items(call: CCall) -> list[tuple[str, Const]]:
    """(params key or "", constant) of a call's constants."""
    return ([(k, v) for k, v in call.params.items() if isinstance(v, Const)]
            + [("", a) for a in call.args if isinstance(a, Const)])


def build_report(graph: Graph, plan: Plan, name: str, target: str,
                 origin: str, version: str, variants: dict[str, Variant] | None = None,
                 optimize: str = "size") -> dict[str, Any]:
    """variants: the target's kernel variants (flash counts their weight layouts);
    optimize: the --optimize choice, recorded."""
    layers = []
    seen: set[tuple] = set()
    for node in graph.nodes:
        op = op_of(node)
        if op.is_alias:
            continue
        layers.append({
            "name": node.name,
            "op": node.op,
            "source": node.source,
            "input_shapes": [list(graph.tensors[t].shape) for t in node.inputs],
            "output_shape": list(graph.tensors[node.output].shape),
            "macs": op.macs(node, graph),
            "weight_bytes": new_const_bytes(op.emit(node, graph), seen, variants),
            "bits": node.qattrs.get("weight_bits", 8),  # weights; activations are int8
            "rounding": node.qattrs.get("rounding"),  # learned rounding's result, if any
            "output": placement(node.output, plan),
            "scratch_bytes": scratch_bytes(node, plan),
            "in_place": ("rows" if node.name in plan.roots.rows
                         else "yes" if node.name in plan.roots.inplace else "no"),
        })
    tin, tout = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    return {
        "tinyq_version": version,
        "model": origin,
        "name": name,
        "target": target,
        "optimize": optimize,
        "macs": sum(layer["macs"] for layer in layers),
        "weight_bytes": sum(layer["weight_bytes"] for layer in layers),
        "arena_bytes": plan.arena_size,
        "arena_lower_bound_bytes": plan.lower_bound,
        "arena_strategy": plan.strategy,
        "arena_without_inplace_bytes": plan.arena_without_inplace,
        "patches": plan.patches,
        "inplace_layers": sorted(plan.roots.inplace),
        "input": {"shape": list(tin.shape), "torch_shape": list(graph.input_torch_shape),
                  "scale": tin.qparams.scale, "zero_point": tin.qparams.zero_point},
        "output": {"shape": list(tout.shape), "torch_shape": list(graph.output_torch_shape),
                   "scale": tout.qparams.scale, "zero_point": tout.qparams.zero_point},
        "layers": layers,
        "memory_timeline": memory_timeline(graph, plan),
    }


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def patch_text(patches: dict[str, Any] | None) -> str:
    if not patches or not patches.get("split"):
        mode = (patches or {}).get("mode", "off")
        return f"none (--patch {mode}: whole-tensor execution is the smallest)" if (
            mode == "auto") else f"none (--patch {mode})"
    return (f"stage up to `{patches['split']}` as {patches['n']}x{patches['n']} patches: "
            f"{100 * patches['mac_overhead']:.1f}% extra MACs, arena without patches "
            f"{patches['arena_without_patches_bytes']:,} B")


IN_PLACE_TEXT = {"no": "", "yes": "yes", "rows": "by rows"}


def rounded_layers(layers: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(index, layer) of each layer with learned rounding, once: the copies patch-based
    execution makes of a layer share its weights and its result."""
    seen: set[str] = set()
    found = []
    for i, layer in enumerate(layers):
        r = layer.get("rounding")
        if r and r["layer"] not in seen:
            seen.add(r["layer"])
            found.append((i, layer))
    return found


def rounding_text(layers: list[dict[str, Any]]) -> str:
    learned = [layer["rounding"] for _, layer in rounded_layers(layers)]
    if not learned:
        return "round to nearest"
    kept = sum(r["kept"] == "learned" for r in learned)
    return (f"AdaRound ({learned[0]['iterations']} iterations per layer): learned rounding "
            f"kept in {kept} of {len(learned)} layers, {sum(r['changed'] for r in learned):,} "
            "weights rounded the other way (see Learned rounding)")


def rounding_section(layers: list[dict[str, Any]]) -> list[str]:
    """Per layer: the layer output's squared error on the calibration samples with
    round-to-nearest and with the learned rounding."""
    rows = rounded_layers(layers)
    if not rows:
        return []
    lines = ["", "## Learned rounding", "",
             "Squared error of each layer's output against the float model on the "
             "calibration samples (summed over channels, mean over samples and positions), "
             "with round-to-nearest and with AdaRound's rounding; the better one is kept.", "",
             "| # | layer | bits | nearest | learned | change | kept | weights moved |",
             "|---|---|---|---|---|---|---|---|"]
    for i, layer in rows:
        r = layer["rounding"]
        change = (100 * (r["loss_learned"] / r["loss_nearest"] - 1)
                  if r["loss_nearest"] > 0 else 0.0)
        lines.append(f"| {i} | {layer['source']} | {layer['bits']} | {r['loss_nearest']:.4g} | "
                     f"{r['loss_learned']:.4g} | {change:+.1f}% | {r['kept']} | "
                     f"{r['changed']:,} |")
    return lines


def calibration_text(calib: dict[str, Any]) -> str:
    """One table cell: the method, the data, and for auto how often each method won."""
    data = (f"{calib['samples']} synthetic samples (data-free)" if calib["data_free"]
            else f"{calib['samples']} samples from `{calib['data']}`")
    if calib["method"] != "auto":
        return f"`{calib['method']}` on {data}"
    picks = calib["auto"]["picks"]
    counts = ", ".join(f"{m} {sum(1 for p in picks.values() if p == m)}"
                       for m in calib["auto"]["candidates"])
    fixed = len(calib["auto"]["fixed_by_op"])
    return (f"`auto` on {data}: per tensor the range with the least output error on "
            f"{calib['auto']['error_samples']} samples; {len(picks)} tensors chose "
            f"({counts})" + (f", {fixed} keep the range their op fixes" if fixed else ""))


def data_free_warning(calib: dict[str, Any] | None) -> list[str]:
    if not calib or not calib.get("data_free"):
        return []
    syn = calib["synthetic"]
    return [f"> **Warning: data-free calibration.** Activation ranges come from "
            f"{syn['samples']} inputs synthesised to match the statistics of the model's "
            f"{syn['bn_layers']} BatchNorm layers (ZeroQ), not from real data. Check "
            "accuracy on real data (`tinyq test --inputs x.npy --labels y.npy`).", ""]


def kernels_text(report: dict[str, Any]) -> str:
    """Which kernels the target build calls: its ISA variants, or the portable C ones."""
    if report.get("kernels") == "reference":
        return "portable C reference (--kernels reference)"
    chosen = sorted(set(report.get("kernel_variants", {}).values()))
    return ", ".join(f"`{s}`" for s in chosen) if chosen else "portable C reference"


def report_md(report: dict[str, Any]) -> str:
    gap = report["arena_bytes"] - report["arena_lower_bound_bytes"]
    calib = report.get("calibration")
    lines = [
        f"# {report['name']}: tinyq conversion report",
        "",
        f"Model `{report['model']}`, target `{report['target']}`, tinyq "
        f"{report['tinyq_version']}.",
        "",
        *data_free_warning(calib),
        "| | |",
        "|---|---|",
        f"| MACs per inference | {report['macs']:,} |",
        f"| weights (flash) | {report['weight_bytes']:,} B (--optimize "
        f"{report.get('optimize', 'size')}) |",
        f"| kernels | {kernels_text(report)} |",
        f"| arena (SRAM) | {report['arena_bytes']:,} B |",
        f"| arena lower bound (max live bytes) | {report['arena_lower_bound_bytes']:,} B "
        f"(gap {gap:,} B, planner `{report['arena_strategy']}`) |",
        f"| arena without in-place execution | {report['arena_without_inplace_bytes']:,} B "
        f"({len(report['inplace_layers'])} layers run in place) |",
        f"| patch-based execution | {patch_text(report.get('patches'))} |",
        f"| weight rounding | {rounding_text(report['layers'])} |",
        f"| input | {tuple(report['input']['shape'])} int8, scale "
        f"{report['input']['scale']:.6g}, zero point {report['input']['zero_point']} |",
        f"| output | {tuple(report['output']['shape'])} int8, scale "
        f"{report['output']['scale']:.6g}, zero point {report['output']['zero_point']} |",
        *([f"| activation calibration | {calibration_text(calib)} |"] if calib else []),
        "",
        "| # | layer | op | input | output | MACs | weight B | bits | buffer | offset | size "
        "| in place | scratch B |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, layer in enumerate(report["layers"]):
        out = layer["output"]
        shapes = " + ".join("x".join(map(str, s)) for s in layer["input_shapes"])
        lines.append(
            f"| {i} | {layer['source']} | {layer['op']} | {shapes} | "
            f"{'x'.join(map(str, layer['output_shape']))} | {layer['macs']:,} | "
            f"{layer['weight_bytes']:,} | {layer['bits']} | {out['buffer']} | "
            f"{out.get('offset', '')} | {out.get('size', '')} | "
            f"{IN_PLACE_TEXT[layer['in_place']]} | {layer['scratch_bytes'] or ''} |")
    lines += rounding_section(report["layers"])
    lines += ["", "## Memory timeline", "",
              "Arena bytes alive while each layer runs (sum of live buffers) and the highest "
              "arena byte in use; the bar is the live share of the arena (also plotted in "
              "`memory.png`).", "",
              "| # | layer | live buffers | live B | high water B | |",
              "|---|---|---|---|---|---|"]
    arena = max(report["arena_bytes"], 1)
    for step in report["memory_timeline"]:
        bar = "#" * round(20 * step["live_bytes"] / arena)
        lines.append(f"| {step['layer']} | {step['name']} | {len(step['live'])} | "
                     f"{step['live_bytes']:,} | {step['high_water_bytes']:,} | `{bar:<20}` |")
    lines.append("")
    if "mixed" in report:
        lines += mixed_md(report["mixed"])
    return "\n".join(lines)


def opt_num(v: float | None, fmt: str) -> str:
    return "inf" if v is None else format(v, fmt)


def mixed_md(m: dict[str, Any]) -> list[str]:
    """The --weights mixed section: the choice per layer, its sensitivities, the curve."""
    instr = m["instructions_estimate"]
    lines = ["## Mixed precision (--weights mixed)", "",
             f"Weight flash {m['flash_bytes']:,} B within the budget of "
             f"{m['flash_budget_bytes']:,} B (all int8 {m['int8_flash_bytes']:,} B, all "
             f"int4 {m['int4_flash_bytes']:,} B); proxy {m['proxy']:.4g}"
             + ("" if instr is None else f"; about {instr:,} instructions per inference "
                f"(budget {m['latency_budget']:,}, from the target's kernel cost table)")
             + ".", "",
             "Chosen by an integer linear program (HiGHS) minimising the sum of the layers' "
             "HAWQ-V3 perturbations Omega(b) = Tr(H) / n * ||Q_b(W) - W||^2 (Hessian trace "
             f"by Hutchinson, {m['sensitivity']['hutchinson_probes']} probes, "
             f"{m['sensitivity']['trace_method']} form, of "
             f"{m['sensitivity']['loss']}). 'int4 alone' is the measured output error with "
             "only that layer int4 (integer simulator, calibration samples).", "",
             "| layer | op | bits | Tr(H) | Omega int4 | Omega int8 | int4 alone SQNR dB | "
             "flash B int4 / int8 |",
             "|---|---|---|---|---|---|---|---|"]
    for layer in m["layers"]:
        pin = " (pinned)" if layer["pinned"] else ""
        lines.append(f"| {layer['source'] or layer['name']} | {layer['op']} | "
                     f"{layer['bits']}{pin} | {layer['hessian_trace']:.4g} | "
                     f"{layer['omega']['4']:.4g} | {layer['omega']['8']:.4g} | "
                     f"{opt_num(layer['int4_alone_sqnr_db'], '.2f')} | "
                     f"{layer['flash_bytes']['4']:,} / {layer['flash_bytes']['8']:,} |")
    lines += ["", "Pareto curve (also `pareto.png`): the program solved at evenly spaced "
              "budgets; SQNR measured on the calibration samples.", "",
              "| budget B | flash B | proxy | SQNR dB | int4 layers |", "|---|---|---|---|---|"]
    for p in m["pareto"]:
        lines.append(f"| {p['budget_bytes']:,} | {p['flash_bytes']:,} | {p['proxy']:.4g} | "
                     f"{opt_num(p['sqnr_db'], '.2f')} | {', '.join(p['int4_layers']) or '-'} |")
    lines.append("")
    return lines
