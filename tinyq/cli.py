"""The `tinyq` command line: parse options, call the pipeline, print. Nothing else.

Every TinyqError becomes one line on stderr and exit status 1; a bad option is click's
usage error (exit status 2).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from functools import wraps
from pathlib import Path
from typing import Any, Callable

import click
import numpy as np

from tinyq import __version__
from tinyq.errors import TinyqError

EXAMPLE = """\b
Example:
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      -o build/digits
  tinyq test build/digits --inputs examples/digits/test_x.npy \\
      --labels examples/digits/test_y.npy
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      --weights int4 -o build/digits4        # int4 weights, half the weight flash
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      --weights int4 --optimize-rounding -o build/digits4r   # learned rounding
  tinyq convert examples/digits/digits_cnn.pt2 --calib synthetic \\
      -o build/digits_df                     # no data: inputs from BatchNorm stats
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      --weights mixed --flash-budget 60% -o build/digits_mixed   # int4 where it hurts least
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      --target qemu-m4 --optimize speed -o build/digits_fast   # int16 conv weights
"""


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # torch.export's pytree emits a deprecation warning from inside torch on every
        # export; it is torch's own business and would only bury tinyq's output.
        warnings.filterwarnings("ignore", message=r".*treespec, LeafSpec",
                                category=FutureWarning)
        try:
            return fn(*args, **kwargs)
        except TinyqError as e:
            click.echo(f"tinyq: error: {e}", err=True)
            sys.exit(1)
    return wrapper


@click.group(epilog=EXAMPLE)
@click.version_option(__version__, prog_name="tinyq")
def main() -> None:
    """tinyq turns a trained PyTorch model into integer-only int8 C code for
    microcontrollers, and checks that the C computes exactly what its integer
    simulator computes."""


def weight_width(value: str) -> str:
    if value not in ("int8", "int4", "mixed"):
        raise click.BadParameter(f"'{value}' is not int8, int4 or mixed (a state_dict file "
                                 "for --model-class goes to --state-dict)")
    return value


@main.command(epilog=EXAMPLE)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory to write the C project into (must not exist, see --force).")
@click.option("--calib", type=click.Path(path_type=Path), metavar="FILE|synthetic",
              help="Calibration samples, .npy / .npz float32, N x C x H x W (or N x F). "
                   "A few hundred representative inputs. Without data, the word "
                   "'synthetic' makes 64 inputs that match the model's BatchNorm "
                   "statistics (data-free, ZeroQ; needs BatchNorm layers and the input "
                   "shape): check accuracy on real data afterwards.")
@click.option("--calib-method", default="minmax", show_default=True,
              type=click.Choice(["minmax", "percentile", "mse", "kl", "auto"]),
              help="How activation ranges are chosen from the calibration data: the "
                   "observed range, its 0.01/99.99 percentiles, the clipping with the "
                   "least squared error, the least KL divergence (entropy), or auto: for "
                   "each tensor whichever of these least changes the model's output "
                   "(slower; the picks are in report.json).")
@click.option("--input-shape", help="Input shape with batch 1, e.g. 1,3,32,32. Default: "
                                    "from --calib or from the .pt2 file.")
@click.option("--model-class", help="pkg.module:Class to build when MODEL (or --state-dict) "
                                    "is a state_dict; the class must take no arguments.")
@click.option("--state-dict", type=click.Path(path_type=Path),
              help="state_dict file for --model-class (default: MODEL itself).")
@click.option("--weights", default="int8", show_default=True, metavar="int8|int4|mixed",
              callback=lambda ctx, param, value: weight_width(value),
              help="Precision of the weights of every convolution and linear layer. "
                   "int4 stores two weights per byte (about half the weight flash) at "
                   "some accuracy cost; mixed picks int4 or int8 per layer, int4 where it "
                   "hurts the output least, to fit --flash-budget (report.md and pareto.png "
                   "show the choice and the trade-off). Activations stay int8 either way.")
@click.option("--weights-config", type=click.Path(path_type=Path),
              help="JSON or TOML file giving single layers their own precision, over "
                   "--weights, e.g. {\"stem.0\": \"int8\", \"convolution_2\": \"int4\"}. "
                   "A layer is its PyTorch module path or its node name (report.json "
                   "'source' / 'name'). With --weights mixed these layers stay as given.")
@click.option("--flash-budget", metavar="BYTES|FRACTION|PERCENT",
              help="With --weights mixed (required there): the most weight flash the model "
                   "may use, in bytes (12000) or as a share of its all-int8 weights (0.6 or "
                   "60%). Fails naming the smallest achievable if it is too small.")
@click.option("--latency-budget", type=int, metavar="INSTRUCTIONS",
              help="With --weights mixed: the most instructions one inference may take on "
                   "--target, estimated from a kernel cost table measured under QEMU for "
                   "its CPU (targets/costs/: Cortex-M0+/M3/M4/M7/M33 and rv32). int4 "
                   "and int8 layers cost differently per core (int4 is slower on the "
                   "scalar cores); this weighs that per layer.")
@click.option("--optimize-rounding", is_flag=True,
              help="Learn, for every weight, whether to round it down or up (AdaRound), "
                   "layer by layer, so that each layer's output on the calibration samples "
                   "(the first 256) stays as close as it can to the float model's. Worth it "
                   "with --weights int4, where plain rounding loses the most accuracy "
                   "(examples/digits_jitter: 94.89 % -> 96.67 %, float 96.44 %). Costs "
                   "conversion time (seconds to a minute per layer; a progress line shows "
                   "it), nothing on the device: each weight moves at most one step from "
                   "where plain rounding puts it, so flash, RAM and speed stay the same.")
@click.option("--rounding-iterations", default=1000, show_default=True, type=int,
              metavar="N", help="Optimisation steps per layer for --optimize-rounding: "
                                "fewer is faster, more may fit a little better.")
@click.option("--target", default="host", show_default=True,
              help="Board or emulator the code is for.")
@click.option("--patch", default="auto", show_default=True, metavar="off|auto|LAYER:N",
              help="Patch-based execution of the first layers (cuts peak SRAM of CNNs with "
                   "large early feature maps): auto picks the split layer and the N x N "
                   "grid with the smallest arena within --max-mac-overhead; LAYER:N forces "
                   "one (LAYER as named in report.md); off runs whole tensors.")
@click.option("--max-mac-overhead", default=0.10, show_default=True, type=float,
              help="Extra MACs (recomputed patch halos) --patch auto may spend, as a "
                   "fraction: 0.10 = 10%.")
@click.option("--sram-budget", type=int, metavar="BYTES",
              help="Arena bytes the model must fit: picks the cheapest plan that fits, or "
                   "fails naming the smallest arena achievable.")
@click.option("--in-place", "inplace", default="auto", show_default=True,
              metavar="auto|all|off",
              help="Layers that overwrite their own input as they go (elementwise ops, "
                   "same-size convolutions row by row, unpadded pooling): auto where it "
                   "lowers the arena, all wherever the kernel allows, off nowhere.")
@click.option("--optimize", default="size", show_default=True, metavar="size|speed",
              help="Kernel choice where speed costs flash: speed lays convolution weights "
                   "out pre-widened to int16 for the Cortex-M DSP kernels (about 1.3x "
                   "faster convolutions, twice their weight flash); size keeps int8. The "
                   "report counts the flash of the layout the target build holds.")
@click.option("--kernels", default="auto", show_default=True, metavar="auto|reference",
              help="auto: the target's fast kernels (DSP, Helium, RVV, tuned scalar) where "
                   "it has them; reference: the portable C kernels everywhere, to see what "
                   "the fast paths gain or to rule them out when a result looks wrong.")
@click.option("--name", default="model", show_default=True,
              help="C name of the model: files <name>.c/.h, function tq_<name>_run().")
@click.option("--force", is_flag=True, help="Replace the output directory if it exists.")
@user_errors
def convert(model: Path, out_dir: Path, calib: Path | None, calib_method: str,
            input_shape: str | None, model_class: str | None, state_dict: Path | None,
            weights: str, weights_config: Path | None, flash_budget: str | None,
            latency_budget: int | None, optimize_rounding: bool, rounding_iterations: int,
            target: str, patch: str, max_mac_overhead: float, sram_budget: int | None,
            inplace: str, optimize: str, kernels: str, name: str,
            force: bool) -> None:
    """Convert MODEL into a self-contained C project.

    MODEL is a .pt2 file from torch.export.save (safest), a whole model saved with
    torch.save(model) (unpickling runs code from the file: only for files you trust), or a
    state_dict together with --model-class."""
    from tinyq.pipeline import ConvertOptions, convert_model

    opts = ConvertOptions(calib=calib, input_shape=input_shape, model_class=model_class,
                          state_dict=state_dict, calib_method=calib_method, weights=weights,
                          weights_config=weights_config, flash_budget=flash_budget,
                          latency_budget=latency_budget, optimize_rounding=optimize_rounding,
                          rounding_iterations=rounding_iterations, progress=rounding_progress,
                          target=target, name=name, force=force, patch=patch,
                          max_mac_overhead=max_mac_overhead, sram_budget=sram_budget,
                          inplace=inplace, optimize=optimize, kernels=kernels)
    result = convert_model(model, out_dir, opts)
    report = json.loads((result.out_dir / "report.json").read_text())
    click.echo(f"wrote {result.out_dir}/ in {result.seconds:.1f} s: "
               f"{len(report['layers'])} layers, {report['macs']:,} MACs, "
               f"weights {report['weight_bytes']:,} B, arena {report['arena_bytes']:,} B "
               f"(lower bound {report['arena_lower_bound_bytes']:,} B)")
    calibration = report.get("calibration", {})
    if calibration.get("data_free"):
        click.echo(f"tinyq: warning: data-free calibration: activation ranges come from "
                   f"{calibration['samples']} synthetic inputs, not real data; check "
                   f"accuracy with `tinyq test {result.out_dir} --inputs x.npy --labels "
                   "y.npy`", err=True)
    if "mixed" in report:
        m = report["mixed"]
        int4 = [layer["source"] or layer["name"] for layer in m["layers"] if layer["bits"] == 4]
        click.echo(f"mixed precision: {len(int4)} of {len(m['layers'])} layers int4 "
                   f"({', '.join(int4) or 'none'}), weight flash {m['flash_bytes']:,} B of "
                   f"a {m['flash_budget_bytes']:,} B budget; see report.md, pareto.png")


def rounding_progress(event: Any) -> None:
    """--optimize-rounding's progress on stderr: one line per layer, redrawn in place with
    a bar, the iteration and the loss on a terminal; only the finished lines otherwise."""
    tty = sys.stderr.isatty()
    start, clear = ("\r", "\x1b[K") if tty else ("", "")
    head = f"{start}rounding {event.position}/{event.layers} {event.layer}"
    if event.result is None:
        if tty:
            bar = "#" * round(20 * event.iteration / event.iterations)
            click.echo(f"{head} [{bar:<20}] {event.iteration}/{event.iterations} "
                       f"loss {event.loss:.4g}{clear}", err=True, nl=False)
        return
    r = event.result
    click.echo(f"{head}: output error {r['loss_nearest']:.4g} rounded to nearest, "
               f"{r['loss_learned']:.4g} learned; keeps {r['kept']}{clear}", err=True)


@main.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--inputs", required=True, type=click.Path(path_type=Path),
              help="Test inputs, .npy float32 in the model's PyTorch layout (N x C x H x W).")
@click.option("--labels", type=click.Path(path_type=Path),
              help="Integer class labels (.npy, N); adds top-1 accuracy lines.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@user_errors
def test(project: Path, inputs: Path, labels: Path | None, as_json: bool) -> None:
    """Build PROJECT on the host and check it against the integer simulator.

    Every input runs through the generated C (built with cffi) and through the numpy
    simulator; the two must agree bit for bit (exit status 1 if not). Also prints float vs
    int8 accuracy, top-1 agreement and the output SQNR."""
    from tinyq.data import load_float_batch, load_labels
    from tinyq.project import Project

    proj = Project(project)
    x = load_float_batch(inputs, "--inputs", proj.sample_shape)
    y = load_labels(labels, x.shape[0]) if labels is not None else None
    result = proj.test(x, y)
    if as_json:
        d = result.as_dict()
        d["sqnr_db"] = None if math.isinf(d["sqnr_db"]) else d["sqnr_db"]
        click.echo(json.dumps(d))
    else:
        print_test(result)
    if not result.bit_exact:
        sys.exit(1)


def print_test(r: Any) -> None:
    verdict = "yes" if r.bit_exact else f"NO (first mismatch: {r.first_mismatch})"
    click.echo(f"bit-exact (C == simulator): {verdict}   [{r.n} inputs]")
    if r.float_top1 is not None:
        click.echo(f"float top-1:     {100 * r.float_top1:6.2f} %")
        click.echo(f"int8 top-1:      {100 * r.int_top1:6.2f} %")
    click.echo(f"top-1 agreement: {100 * r.agreement:6.2f} %")
    click.echo(f"output SQNR:     {r.sqnr_db:6.2f} dB")


@main.command()
@click.argument("project", type=click.Path(path_type=Path))
@user_errors
def inspect(project: Path) -> None:
    """Summarise a converted PROJECT: model, target, MACs, flash, arena and its timeline."""
    path = project / "report.json"
    if not path.is_file():
        raise TinyqError(f"'{project}' is not a tinyq project (no report.json)")
    r = json.loads(path.read_text())
    click.echo(f"{r['name']}: from {r['model']} for {r['target']} (tinyq {r['tinyq_version']})")
    click.echo(f"  input  {tuple(r['input']['shape'])} int8, scale {r['input']['scale']:.6g}, "
               f"zero point {r['input']['zero_point']}")
    click.echo(f"  output {tuple(r['output']['shape'])} int8, scale "
               f"{r['output']['scale']:.6g}, zero point {r['output']['zero_point']}")
    click.echo(f"  {len(r['layers'])} layers, {r['macs']:,} MACs, weights {r['weight_bytes']:,} B")
    click.echo(f"  arena {r['arena_bytes']:,} B (lower bound {r['arena_lower_bound_bytes']:,} B, "
               f"without in-place {r['arena_without_inplace_bytes']:,} B, planner "
               f"{r['arena_strategy']})")
    by_rows = sum(1 for layer in r["layers"] if layer.get("in_place") == "rows")
    click.echo(f"  in place: {len(r['inplace_layers'])} layers ({by_rows} by rows)")
    if r.get("patches") and r["patches"].get("split"):
        s = r["patches"]
        click.echo(f"  patches: up to {s['split']} as {s['n']}x{s['n']}, "
                   f"{100 * s['mac_overhead']:.1f}% extra MACs, arena without patches "
                   f"{s['arena_without_patches_bytes']:,} B")
    if r.get("kernel_variants"):
        click.echo("  kernel variants: " + ", ".join(r["kernel_variants"].values()))
    peak = max(r["memory_timeline"], key=lambda s: s["live_bytes"], default=None)
    if peak:
        click.echo(f"  peak while layer {peak['layer']} ({peak['name']}) runs: "
                   f"{peak['live_bytes']:,} B in {len(peak['live'])} buffers")


def project_target(project: Path, target: str | None) -> Any:
    """--target, else the target the project was converted for."""
    from tinyq.project import Project
    from tinyq.targets import load_target

    proj = Project(project)
    return proj, load_target(target or proj.report["target"])


@main.command()
@user_errors
def targets() -> None:
    """List the boards and emulators tinyq builds for."""
    from tinyq.targets import list_targets

    click.echo(f"{'target':<12} {'cpu':<14} {'flash':>9} {'RAM':>9}  {'runs':<9} aliases")
    for t in list_targets():
        flash = f"{t.flash.size // 1024} KiB" if t.flash else "-"
        ram = f"{t.ram.size // 1024} KiB" if t.ram else "-"
        runs = "qemu" if t.emulated else ("host" if t.arch == "host" else "board")
        click.echo(f"{t.name:<12} {t.cpu:<14} {flash:>9} {ram:>9}  {runs:<9} "
                   f"{', '.join(t.aliases)}")


@main.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--target", help="Board or emulator (default: the one given to convert).")
@click.option("--json", "as_json", is_flag=True, help="Print the size table as JSON.")
@user_errors
def build(project: Path, target: str | None, as_json: bool) -> None:
    """Cross-compile PROJECT into firmware (.elf, .bin, .hex) and show flash / RAM use.

    Fails, saying by how many bytes, if the model does not fit the board."""
    from tinyq.emu.build import build_firmware

    proj, tgt = project_target(project, target)
    fw = build_firmware(proj.path, tgt, proj.path / "build" / tgt.name)
    sizes = fw.sizes.as_dict()
    if as_json:
        click.echo(json.dumps({"target": tgt.name, "elf": str(fw.elf), **sizes}))
        return
    click.echo(f"{tgt.name}: {fw.elf} (+ .bin, .hex)")
    print_sizes(sizes)


def print_sizes(s: dict[str, int]) -> None:
    click.echo(f"  flash {s['flash_total']:>9,} B of {s['flash_capacity']:,} "
               f"(weights {s['flash_weights']:,}, code {s['flash_code']:,}, "
               f"rodata {s['flash_rodata']:,}, data init {s['flash_data_init']:,})")
    click.echo(f"  RAM   {s['ram_total']:>9,} B of {s['ram_capacity']:,} "
               f"(arena {s['ram_arena']:,}, stack {s['ram_stack']:,}, "
               f"other {s['ram_other']:,})")


@main.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--target", help="Emulated target, e.g. qemu-m4 (`tinyq targets`).")
@click.option("--inputs", required=True, type=click.Path(path_type=Path),
              help="Test inputs, .npy float32 in the model's PyTorch layout.")
@click.option("--labels", type=click.Path(path_type=Path), help="Class labels (.npy).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds QEMU may run.")
@user_errors
def run(project: Path, target: str | None, inputs: Path, labels: Path | None,
        as_json: bool, timeout: float) -> None:
    """Run PROJECT's firmware under QEMU on every input.

    Checks each output against the integer simulator bit for bit (exit status 1 if any
    differs) and counts the instructions of every layer exactly (a QEMU plugin)."""
    from tinyq.data import load_float_batch, load_labels
    from tinyq.metrics import top1

    proj, tgt = project_target(project, target)
    x = load_float_batch(inputs, "--inputs", proj.sample_shape)
    y = load_labels(labels, x.shape[0]) if labels is not None else None
    tr = proj.run_on(tgt, proj.quantize_input(x), timeout)
    d = tr.as_dict(proj.report["macs"])
    if y is not None:
        d["int_top1"] = float(np.mean(top1(tr.outputs) == y))
    if as_json:
        click.echo(json.dumps(d))
    else:
        print_run(d, tgt.description)
    if not d["bit_exact"]:
        sys.exit(1)


def print_run(d: dict[str, Any], description: str) -> None:
    verdict = "yes" if d["bit_exact"] else f"NO (first differing input: {d['first_mismatch']})"
    click.echo(f"{d['target']}: {description}")
    click.echo(f"bit-exact (firmware == simulator): {verdict}   [{d['n']} inputs]")
    if "int_top1" in d:
        click.echo(f"int8 top-1 on the target: {100 * d['int_top1']:.2f} %")
    print_sizes(d["sizes"])
    spread = ("" if d["instructions_min"] == d["instructions_max"] else
              f", {d['instructions_min']:,} to {d['instructions_max']:,} over the inputs")
    click.echo(f"instructions per inference: {d['instructions']:,}{spread} "
               f"({d['macs']:,} MACs, {d['macs_per_instruction']:.3f} MACs/instruction)")
    click.echo(f"  {'#':>3}  {'layer':<40} {'op':<11} {'instructions':>13} {'share':>6}")
    for i, layer in enumerate(d["layers"]):
        share = 100 * layer["instructions"] / d["instructions"]
        click.echo(f"  {i:>3}  {layer['name'][:40]:<40} {layer['op']:<11} "
                   f"{layer['instructions']:>13,} {share:5.1f}%")


@main.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--target", help="Board (default: the one given to convert).")
@click.option("--probe", type=click.Choice(["pyocd", "openocd", "stlink", "esptool"]),
              help="Programming tool (default: the first installed one the board supports).")
@click.option("--dry-run", is_flag=True, help="Build and print the command; do not flash.")
@user_errors
def flash(project: Path, target: str | None, probe: str | None, dry_run: bool) -> None:
    """Build PROJECT's firmware for a real board and program it."""
    from tinyq.emu.build import build_firmware
    from tinyq.flash import choose_probe, flash as do_flash, flash_command

    proj, tgt = project_target(project, target)
    chosen = choose_probe(tgt, probe, dry_run)
    fw = build_firmware(proj.path, tgt, proj.path / "build" / tgt.name)
    cmd = flash_command(fw, chosen)
    click.echo(cmd.text())
    if not dry_run:
        do_flash(fw, cmd)
        click.echo(f"flashed {tgt.name} with {chosen}")


@main.command()
@click.option("--models", default=",".join(sorted(["ds_cnn", "mobilenet_v1_vww", "resnet8",
                                                   "fc_autoencoder", "mobilenet_v2"])),
              show_default=True, help="Comma-separated zoo models.")
@click.option("--targets", "target_list", default=None,
              help="Comma-separated emulated targets; TARGET+speed converts with --optimize "
                   "speed, TARGET+reference with --kernels reference (the portable C "
                   "kernels), TARGET+int4 with --weights int4; forms combine "
                   "(qemu-m4+int4+speed). Default: qemu-m4, qemu-m4+speed, "
                   "qemu-m4+reference, qemu-m4+int4, qemu-m7, qemu-m55, qemu-m55+int4, "
                   "qemu-rv32, qemu-rv32v, qemu-m0plus.")
@click.option("-o", "--out", "out_file", type=click.Path(path_type=Path),
              default=Path("benchmarks/results.md"), show_default=True,
              help="Markdown file to write the table to.")
@user_errors
def bench(models: str, target_list: str, out_file: Path) -> None:
    """Benchmark zoo models on emulated targets: exact instructions per inference,
    MACs/instruction, flash, RAM, arena; every row checked bit-exact."""
    from tinyq.bench import DEFAULT_TARGETS, markdown, parse_spec, run_bench
    from tinyq.targets import load_target
    from tinyq.zoo import ZOO

    names = [m for m in models.split(",") if m]
    unknown = [m for m in names if m not in ZOO]
    if unknown:
        raise TinyqError(f"--models: unknown {', '.join(unknown)}; known: {', '.join(ZOO)}")
    target_list = target_list or ",".join(DEFAULT_TARGETS)
    specs = [t for t in target_list.split(",") if t]
    for spec in specs:  # every name checked before the long runs start
        load_target(parse_spec(spec)[0])
    rows = run_bench(names, specs, click.echo)
    command = f"tinyq bench --models {models} --targets {target_list}"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(markdown(rows, command))
    click.echo(f"wrote {out_file}")


@main.command()
@click.option("--strict", is_flag=True, help="Exit 1 if anything `make test` needs is missing.")
def doctor(strict: bool) -> None:
    """Report which compilers, emulators and programming tools are present."""
    from tinyq.doctor import checks

    missing = False
    for c in checks():
        mark = "ok     " if c.ok else ("MISSING" if c.required else "absent ")
        click.echo(f"{mark} {c.what}" + ("" if c.ok else f"  -> {c.fix}"))
        missing |= c.required and not c.ok
    if strict and missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
