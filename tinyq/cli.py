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

from tinyq import __version__
from tinyq.errors import TinyqError

EXAMPLE = """\b
Example:
  tinyq convert examples/digits/digits_cnn.pt --calib examples/digits/calib.npy \\
      -o build/digits
  tinyq test build/digits --inputs examples/digits/test_x.npy \\
      --labels examples/digits/test_y.npy
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


@main.command(epilog=EXAMPLE)
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory to write the C project into (must not exist, see --force).")
@click.option("--calib", type=click.Path(path_type=Path),
              help="Calibration samples, .npy / .npz float32, N x C x H x W (or N x F). "
                   "A few hundred representative inputs.")
@click.option("--calib-method", default="minmax", show_default=True,
              type=click.Choice(["minmax", "percentile", "mse"]),
              help="How activation ranges are chosen from the calibration data.")
@click.option("--input-shape", help="Input shape with batch 1, e.g. 1,3,32,32. Default: "
                                    "from --calib or from the .pt2 file.")
@click.option("--model-class", help="pkg.module:Class to build when MODEL (or --weights) "
                                    "is a state_dict; the class must take no arguments.")
@click.option("--weights", type=click.Path(path_type=Path),
              help="state_dict file for --model-class (default: MODEL itself).")
@click.option("--target", default="host", show_default=True,
              help="Board or emulator the code is for.")
@click.option("--name", default="model", show_default=True,
              help="C name of the model: files <name>.c/.h, function tq_<name>_run().")
@click.option("--force", is_flag=True, help="Replace the output directory if it exists.")
@user_errors
def convert(model: Path, out_dir: Path, calib: Path | None, calib_method: str,
            input_shape: str | None, model_class: str | None, weights: Path | None,
            target: str, name: str, force: bool) -> None:
    """Convert MODEL into a self-contained C project.

    MODEL is a .pt2 file from torch.export.save (safest), a whole model saved with
    torch.save(model) (unpickling runs code from the file: only for files you trust), or a
    state_dict together with --model-class."""
    from tinyq.pipeline import ConvertOptions, convert_model

    opts = ConvertOptions(calib=calib, input_shape=input_shape, model_class=model_class,
                          weights=weights, calib_method=calib_method, target=target,
                          name=name, force=force)
    result = convert_model(model, out_dir, opts)
    report = json.loads((result.out_dir / "report.json").read_text())
    click.echo(f"wrote {result.out_dir}/ in {result.seconds:.1f} s: "
               f"{len(report['layers'])} layers, {report['macs']:,} MACs, "
               f"weights {report['weight_bytes']:,} B, arena {report['arena_bytes']:,} B "
               f"(lower bound {report['arena_lower_bound_bytes']:,} B)")


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


if __name__ == "__main__":
    main()
