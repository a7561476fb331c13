"""Write a converted model as a self-contained C project directory.

Takes the quantized, planned graph; gives <out>/ with <name>.h/.c, <name>_weights.h/.c,
the runtime sources the model calls (runtime/), a host runner, a Makefile, a
CMakeLists.txt, report.json and report.md. The directory is written under a temporary
name beside the target and renamed into place at the end, so a failure leaves nothing
half-written; an existing directory is replaced only with `force`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from string import Template
from typing import Any, Callable

from tinyq.codegen.memory_plot import write_memory_plot
from tinyq.codegen.model_c import generate
from tinyq.codegen.pareto_plot import write_pareto_plot
from tinyq.codegen.report import build_report, report_json, report_md
from tinyq.codegen.variants import graph_variants
from tinyq.errors import TinyqError
from tinyq.ir import Graph
from tinyq.ops import op_of
from tinyq.plan.arena import Plan
from tinyq.targets import Target

RUNTIME = Path(__file__).resolve().parent.parent.parent / "runtime_c"
TEMPLATES = Path(__file__).resolve().parent / "templates"
RUNTIME_HEADERS = ("include/tinyq.h", "include/tq_isa.h", "src/tq_requant.h", "src/tq_dsp.h",
                   "src/tq_int4.h", "src/tq_rvv.h", "src/tq_window.h", "src/tq_gather.h",
                   "src/tq_dw_dsp.h")


def runtime_root() -> Path:
    """runtime_c/ of a source checkout, or the copy installed inside the package."""
    packaged = Path(__file__).resolve().parent.parent / "runtime_c"
    return packaged if packaged.is_dir() else RUNTIME


ROWS_SOURCE = "movement/tq_rows_s8.c"  # in-place execution by rows (plan.roots.rows)


def kernel_files(graph: Graph, plan: Plan) -> list[str]:
    files = {f for node in graph.nodes for f in op_of(node).kernel_sources}
    if plan.roots.rows:
        files.add(ROWS_SOURCE)
    return [f"runtime/src/{f}" for f in sorted(files)]


def render(template: str, **values: str) -> str:
    return Template((TEMPLATES / template).read_text()).substitute(values)


def write_project(graph: Graph, plan: Plan, out_dir: Path, name: str, target: Target,
                  origin: str, version: str, force: bool = False,
                  extra: Callable[[Path], None] | None = None,
                  report_extra: dict[str, Any] | None = None) -> Path:
    """report_extra: sections the conversion adds to report.json: "calibration" (how
    activation ranges were chosen) and "mixed" (the per-layer precision search, which also
    gets a section in report.md and pareto.png)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise TinyqError(f"output directory '{out_dir}' exists; use --force to replace it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the project is an ordinary directory
    try:
        fill(staging, graph, plan, name, target, origin, version, report_extra or {})
        if extra is not None:
            extra(staging)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def fill(d: Path, graph: Graph, plan: Plan, name: str, target: Target, origin: str,
         version: str, report_extra: dict[str, Any]) -> None:
    runtime = runtime_root()
    reference = kernel_files(graph, plan)
    variants = graph_variants(graph, target.isa_features, runtime / "src")
    kernels = reference + [f"runtime/src/{v.source}" for v in variants.values()]
    src = generate(graph, plan, name, origin, version, variants)
    (d / f"{name}.h").write_text(src.header)
    (d / f"{name}.c").write_text(src.source)
    (d / f"{name}_weights.c").write_text(src.weights)
    (d / f"{name}_weights.h").write_text(src.weights_header)
    for rel in list(RUNTIME_HEADERS) + [k.removeprefix("runtime/") for k in kernels]:
        dest = d / "runtime" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(runtime / rel, dest)
    sources = [f"{name}.c", f"{name}_weights.c"] + kernels
    (d / "Makefile").write_text(render("Makefile", name=name, sources=" \\\n\t".join(sources)))
    (d / "CMakeLists.txt").write_text(render("CMakeLists.txt", name=name,
                                             cmake_sources="\n    ".join(sources)))
    (d / "host_runner.c").write_text(render("host_runner.c", name=name,
                                            NAME=f"TQ_{name.upper()}"))
    report = build_report(graph, plan, name, target.name, origin, version)
    report["kernel_variants"] = {k: v.symbol for k, v in sorted(variants.items())}
    report.update(report_extra)
    (d / "report.json").write_text(report_json(report))
    (d / "report.md").write_text(report_md(report))
    write_memory_plot(report, d / "memory.png")
    if "mixed" in report:
        write_pareto_plot(report, d / "pareto.png")
