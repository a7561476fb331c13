"""Quantized, planned ir.Graph -> the C text of <name>.h, <name>.c and <name>_weights.c.

<name>.c is straight-line: one params struct (static const, in flash) and one call per
kernel invocation, each wrapped in TQ_LAYER_BEGIN / TQ_LAYER_END, all shapes, offsets and
multipliers as constants. Buffers are `in`, `out` or `arena + offset` from the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinyq.codegen.c_text import c_array, c_call, c_comment, c_float, c_struct
from tinyq.codegen.variants import (FEATURE_MACRO, Variant, scratch_key, selection_text,
                                    target_const)
from tinyq.ir import Graph, Node
from tinyq.ops import Buf, CCall, Const, RowWindow, op_of
from tinyq.plan.arena import Plan, rows_key


@dataclass
class ModelSources:
    header: str
    source: str
    weights: str
    weights_header: str
    layers: list[tuple[Node, list[CCall]]]


def pointer(tensor: str, plan: Plan, writable: bool) -> str:
    root = plan.roots.of[tensor]
    if root == plan.roots.input_root:
        return "in"
    if root == plan.roots.output_root:
        return "out"
    return f"(arena8 + {plan.offsets[root]})"


def scratch_pointer(node: Node, plan: Plan) -> str:
    """The node's planned scratch region, or NULL for a call that needs none."""
    key = scratch_key(node)
    return f"(arena8 + {plan.offsets[key]})" if key in plan.offsets else "NULL"


def rows_pointer(node: Node, plan: Plan) -> str:
    return f"(arena8 + {plan.offsets[rows_key(node.name)]})"


def rows_struct(tag: str, rows: RowWindow) -> str:
    return c_struct("tq_rows_params", f"{tag}_rows",
                    {"height": str(rows.height), "window": str(rows.window),
                     "pad_top": str(rows.pad_top), "row_bytes": str(rows.row_bytes),
                     "per_call": str(rows.per_call), "blocks": str(rows.blocks)})


def row_loop(kernel: str, scratch: list[str], call: CCall, tag: str, args: list[str],
             rows: RowWindow, ring: str, commit: str = "tq_rows_commit") -> list[str]:
    """The layer in place over its input, a few output rows at a time (tinyq.h, tq_rows):
    a copy of its params narrowed to the band of input rows those output rows read.
    commit: tq_rows_commit, or the macro binding its ISA variant."""
    if call.params_type not in ("tq_conv2d_params", "tq_dwconv2d_params") or len(args) != 3:
        raise AssertionError(f"{call.kernel} cannot run in place by rows")
    buf = args[1]
    call_args = scratch + ["&band", f"{buf} + (size_t)b.first * {rows.row_bytes}",
                           f"tq_rows_slot(&{tag}_rows, {ring}, r)"]
    return ["    {   /* in place over its input, a few rows per call (tinyq.h, tq_rows) */",
            f"        {call.params_type} band = {tag}_params;",
            f"        for (int32_t r = 0; r < {rows.height}; r += {rows.per_call}) {{",
            f"            const tq_rows_band_t b = tq_rows_band(&{tag}_rows, r);",
            "            band.in_h = b.rows;",
            "            band.pad_top = b.pad_top;",
            "            band.out_h = b.out_rows;",
            f"            {c_call(kernel, call_args)}",
            f"            {commit}(&{tag}_rows, {buf}, {ring}, r);",
            "        }",
            "    }"]


def arg_text(arg: object, node: Node, graph: Graph, plan: Plan, consts: dict[int, str]) -> str:
    if isinstance(arg, Buf):
        tensor = node.inputs[arg.index] if arg.kind == "in" else node.output
        return pointer(tensor, plan, arg.kind == "out")
    if isinstance(arg, Const):
        return consts[id(arg)]
    return str(arg)


def generate(graph: Graph, plan: Plan, name: str, origin: str, version: str,
             variants: dict[str, Variant] | None = None) -> ModelSources:
    variants = variants or {}
    prefix = f"tq_{name}"
    weights: list[str] = []
    decls: list[str] = []
    structs: list[str] = []
    body: list[str] = []
    layers: list[tuple[Node, list[CCall]]] = []
    emitted: dict[tuple, str] = {}  # const_key -> the array already written
    for node in graph.nodes:
        op = op_of(node)
        if op.is_alias:
            continue
        calls = op.emit(node, graph)
        index = len(layers)
        layers.append((node, calls))
        body.append(f"    {c_comment(f'{index}: {node.op} {node.name} ({node.source})')}")
        body.append(f"    TQ_LAYER_BEGIN({index});")
        for k, call in enumerate(calls):
            tag = f"l{index}" + (f"_{k}" if len(calls) > 1 else "")
            consts: dict[int, str] = {}
            fields: dict[str, str] = {}
            for key, value in list(call.params.items()) + [(f"a{i}", a) for i, a
                                                            in enumerate(call.args)]:
                if isinstance(value, Const):
                    variant = variants.get(call.kernel)
                    same, alt = target_const(variant, key, call.params, value)
                    if same not in emitted:
                        sym = f"{prefix}_{tag}_{value.key}"
                        if alt is None:
                            weights.append(c_array(value.ctype, sym, value.data))
                            decls.append(f"extern const {value.ctype} {sym}"
                                         f"[{value.data.size}];")
                        else:
                            weights.append(dual_array(variant, value, sym, alt))
                            decls.append(f"extern const {value.ctype} {sym}[];")
                        emitted[same] = sym
                    sym = emitted[same]
                    consts[id(value)] = sym
                    if key in call.params:
                        fields[key] = sym
                elif key in call.params:
                    fields[key] = str(int(value))
            args = [arg_text(a, node, graph, plan, consts) for a in call.args]
            if call.params_type:
                structs.append(c_struct(call.params_type, f"{tag}_params", fields))
                args = [f"&{tag}_params"] + args
            kernel = call.kernel
            scratch: list[str] = []
            if call.kernel in variants:
                variant = variants[call.kernel]
                kernel = variant.macro
                if variant.takes_scratch:
                    scratch = [scratch_pointer(node, plan)]
            if node.name in plan.roots.rows:
                structs.append(rows_struct(tag, plan.roots.rows[node.name]))
                commit = variants.get("tq_rows_commit")
                body += row_loop(kernel, scratch, call, tag, args, plan.roots.rows[node.name],
                                 rows_pointer(node, plan),
                                 commit.macro if commit else "tq_rows_commit")
            else:
                body.append(f"    {c_call(kernel, scratch + args)}")
        body.append(f"    TQ_LAYER_END({index});")
    if plan.roots.output_root == plan.roots.input_root:
        body.append(f"    memcpy(out, in, {upper(name)}_OUTPUT_SIZE);")
    return ModelSources(
        header=header_text(graph, plan, name, origin, version, len(layers)),
        source=source_text(name, structs, body, origin, version, selection_text(variants)),
        weights=weights_text(name, weights, origin, version),
        weights_header=weights_header_text(name, decls),
        layers=layers)


def dual_array(variant: Variant, value: Const, sym: str, target_data: object) -> str:
    """One array, two layouts: the variant's (4-aligned for its word loads) where the
    target has the feature, the reference's elsewhere (the host build)."""
    return (f"#if {FEATURE_MACRO[variant.feature]}\n"
            + c_array(value.ctype, sym, target_data, align=4)
            + "#else\n" + c_array(value.ctype, sym, value.data) + "#endif\n")


def upper(name: str) -> str:
    return f"TQ_{name.upper()}"


def header_text(graph: Graph, plan: Plan, name: str, origin: str, version: str,
                n_layers: int) -> str:
    u = upper(name)
    tin = graph.tensors[graph.inputs[0]]
    tout = graph.tensors[graph.outputs[0]]
    lines = [
        f"/* {name}.h - generated by tinyq {version} from {origin}. Do not edit.",
        " *",
        " * Integer-only inference. Input and output are int8, batch 1, channels last:",
        f" * input  {tin.shape} (PyTorch {graph.input_torch_shape}),",
        f" * output {tout.shape} (PyTorch {graph.output_torch_shape}).",
        " * real = scale * (q - zero_point). `in` and `out` must not overlap the arena or",
        " * each other; the arena must hold ARENA_SIZE bytes aligned to TQ_ARENA_ALIGN. */",
        f"#ifndef {u}_H",
        f"#define {u}_H",
        "",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        '#include "tinyq.h"',
        "",
        f"#define {u}_ARENA_SIZE {max(plan.arena_size, TQ_MIN_ARENA)}",
        f"#define {u}_NUM_LAYERS {n_layers}",
        f"#define {u}_INPUT_SIZE {tin.size}",
        f"#define {u}_INPUT_SHAPE {{{', '.join(map(str, tin.shape))}}}",
        f"#define {u}_INPUT_SCALE {c_float(tin.qparams.scale)}",
        f"#define {u}_INPUT_ZERO_POINT ({tin.qparams.zero_point})",
        f"#define {u}_OUTPUT_SIZE {tout.size}",
        f"#define {u}_OUTPUT_SHAPE {{{', '.join(map(str, tout.shape))}}}",
        f"#define {u}_OUTPUT_SCALE {c_float(tout.qparams.scale)}",
        f"#define {u}_OUTPUT_ZERO_POINT ({tout.qparams.zero_point})",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        "/* Runs one inference. Returns TQ_OK, or TQ_ERR_* (tinyq.h) without touching `out`",
        " * if a pointer is NULL or the arena is too small or misaligned. */",
        f"int tq_{name}_run(const int8_t *in, int8_t *out, uint8_t *arena, size_t arena_size);",
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        f"#endif /* {u}_H */",
        "",
    ]
    return "\n".join(lines)


TQ_MIN_ARENA = 16  # a zero-length array is not C; keep one aligned word at least


def source_text(name: str, structs: list[str], body: list[str], origin: str,
                version: str, selection: str) -> str:
    u = upper(name)
    head = [
        f"/* {name}.c - generated by tinyq {version} from {origin}. Do not edit. */",
        "#include <string.h>",
        "",
        f'#include "{name}.h"',
        f'#include "{name}_weights.h"',
        '#include "tq_isa.h"',
        "",
    ]
    if selection:
        head += ["/* ISA variants for the target; a host build of this project calls the",
                 " * portable reference kernels, which compute the same bits. */",
                 selection]
    run = [
        f"int tq_{name}_run(const int8_t *in, int8_t *out, uint8_t *arena, size_t arena_size)",
        "{",
        "    if (in == NULL || out == NULL || arena == NULL) {",
        "        return TQ_ERR_NULL_POINTER;",
        "    }",
        "    if (((uintptr_t)arena % TQ_ARENA_ALIGN) != 0) {",
        "        return TQ_ERR_ARENA_MISALIGNED;",
        "    }",
        f"    if (arena_size < {u}_ARENA_SIZE) {{",
        "        return TQ_ERR_ARENA_TOO_SMALL;",
        "    }",
        "    int8_t *const arena8 = (int8_t *)arena;",
        "    (void)arena8;",
        *body,
        "    return TQ_OK;",
        "}",
        "",
    ]
    return "\n".join(head) + "\n".join(structs) + "\n" + "\n".join(run)


def weights_text(name: str, arrays: list[str], origin: str, version: str) -> str:
    head = (f"/* {name}_weights.c - generated by tinyq {version} from {origin}. Constants "
            "in flash. */\n"
            f'#include "{name}_weights.h"\n')
    if any(a.startswith("#if ") for a in arrays):
        head += '#include "tq_isa.h" /* arrays laid out for an ISA variant */\n'
    head += "\n"
    return head + "\n".join(arrays)


def weights_header_text(name: str, decls: list[str]) -> str:
    guard = f"{upper(name)}_WEIGHTS_H"
    return "\n".join([f"/* {name}_weights.h - generated by tinyq. Do not edit. */",
                      f"#ifndef {guard}", f"#define {guard}", "", "#include <stdint.h>", "",
                      *decls, "", f"#endif /* {guard} */", ""])
