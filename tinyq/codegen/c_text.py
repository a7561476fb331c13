"""Small helpers that render C text: arrays, designated-initializer structs, calls.
Everything generated goes through these, so formatting lives in one place."""

from __future__ import annotations

import numpy as np

PER_LINE = 16


def c_int_list(values: np.ndarray, indent: str = "    ") -> str:
    flat = [str(int(v)) for v in np.asarray(values).ravel()]
    lines = [", ".join(flat[i:i + PER_LINE]) for i in range(0, len(flat), PER_LINE)]
    return ",\n".join(indent + line for line in lines)


def c_array(ctype: str, name: str, values: np.ndarray, qualifier: str = "const",
            align: int = 0) -> str:
    """align: a byte alignment for the array (GCC / Clang attribute), 0 for the type's."""
    n = int(np.asarray(values).size)
    attr = f" __attribute__((aligned({align})))" if align else ""
    return f"{qualifier} {ctype} {name}[{n}]{attr} = {{\n{c_int_list(values)}\n}};\n"


def c_struct(ctype: str, name: str, fields: dict[str, str]) -> str:
    body = "\n".join(f"    .{k} = {v}," for k, v in fields.items())
    return f"static const {ctype} {name} = {{\n{body}\n}};\n"


def c_call(fn: str, args: list[str]) -> str:
    return f"{fn}({', '.join(args)});"


def c_float(x: float) -> str:
    return f"{x:.9g}f" if ("e" in f"{x:.9g}" or "." in f"{x:.9g}") else f"{x:.9g}.0f"


def c_comment(text: str) -> str:
    return "/* " + text.replace("*/", "* /") + " */"
