"""Learned rounding (`--optimize-rounding`, quant/adaround.py) end to end on the digits
example with int4 weights: host C bit-exact with the simulator, accuracy and output SQNR
above plain int4, every weight on the grid and at most one step from round-to-nearest,
the per-layer result in report.json / report.md; the CLI flag, its progress lines, a
deterministic result and a bad iteration count on a tiny model.

The default tests run 200 iterations per layer (a few seconds on digits); the slow test
runs the CLI default (1000) and holds it to the measured accuracy."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.models.test_bad_input import assert_clean_failure
from tests.models.test_int4 import convert as convert_digits
from tinyq.ir import Node
from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.quant.weights import weight_grid

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
FAST_ITERATIONS = 200


def convert(out: Path, **opts: object) -> Project:
    """The digits example for qemu-m4 with int4 weights, whole tensors (one report row
    per layer: patches would copy layers)."""
    return convert_digits(out, weights="int4", **opts)


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Project]:
    root = tmp_path_factory.mktemp("adaround")
    return {"nearest": convert(root / "nearest"),
            "learned": convert(root / "learned", optimize_rounding=True,
                               rounding_iterations=FAST_ITERATIONS)}


def test_learned_int4_host_c_bit_exact_and_accurate(projects):
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    learned = projects["learned"].test(x, y)
    nearest = projects["nearest"].test(x, y)
    assert learned.bit_exact, learned.first_mismatch
    # measured: 99.56 % (float 99.56 %), output SQNR 25.8 dB vs 20.2 dB round-to-nearest
    assert learned.int_top1 >= 0.99
    assert learned.sqnr_db > nearest.sqnr_db + 3.0


def nearest_levels(node: Node) -> np.ndarray:
    """Round-to-nearest of the float weights, in the kernel layout, at the layer's scales."""
    w = node.params["weight"].astype(np.float64)
    s = node.qattrs["w_scales"]
    if node.op == "conv2d":  # OHWI
        kernel = w.transpose(0, 2, 3, 1) / s[:, None, None, None]
    elif node.op == "dwconv2d":  # (kh, kw, O)
        kernel = w[:, 0].transpose(1, 2, 0) / s
    else:  # linear [out, in]
        kernel = w / s[:, None]
    lo, hi = weight_grid(node.qattrs["weight_bits"])
    return np.clip(np.round(kernel), lo, hi)


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                    reason="cross toolchains missing: scripts/install_toolchains.sh")
def test_learned_int4_firmware_bit_exact_on_qemu_m4(projects):
    project = projects["learned"]
    run = project.run_target("qemu-m4", project.quantize_input(
        np.load(EXAMPLE / "test_x.npy")[:3]))
    assert run.bit_exact, f"input {run.first_mismatch} differs"


def test_weights_stay_on_the_grid_within_one_step_of_nearest(projects):
    moved_total = 0
    for node in projects["learned"].graph.nodes:
        if "weights" not in node.qattrs:
            continue
        q = node.qattrs["weights"].astype(np.int64)
        assert node.qattrs["weight_bits"] == 4
        assert q.min() >= -8 and q.max() <= 7, node.name
        moved = np.abs(q - nearest_levels(node))
        assert moved.max() <= 1, node.name
        rounding = node.qattrs["rounding"]
        assert int(np.count_nonzero(moved)) == rounding["changed"], node.name
        moved_total += rounding["changed"]
    assert moved_total > 100  # measured: 2,299 weights rounded the other way


def test_report_has_the_per_layer_result(projects):
    report = projects["learned"].report
    results = [layer["rounding"] for layer in report["layers"] if layer["rounding"]]
    weighted = [layer for layer in report["layers"] if layer["op"] in
                ("conv2d", "dwconv2d", "linear")]
    assert len(results) == len(weighted) > 0
    for r in results:
        assert r["iterations"] == FAST_ITERATIONS and r["kept"] in ("learned", "nearest")
        best = min(r["loss_nearest"], r["loss_learned"])
        assert (r["loss_learned"] if r["kept"] == "learned" else r["loss_nearest"]) == best
    assert sum(r["loss_learned"] < r["loss_nearest"] for r in results) >= len(results) - 1
    md = (projects["learned"].path / "report.md").read_text()
    assert "| weight rounding | AdaRound (200 iterations per layer)" in md
    assert "## Learned rounding" in md
    plain = projects["nearest"]
    assert all(layer["rounding"] is None for layer in plain.report["layers"])
    assert "| weight rounding | round to nearest |" in (plain.path / "report.md").read_text()


def test_cli_flag_prints_progress_and_is_deterministic(cli, tiny_files, tmp_path):
    weights = []
    for name in ("a", "b"):
        out = tmp_path / name
        r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
                "--weights", "int4", "--optimize-rounding", "--rounding-iterations", 50)
        assert r.exit_code == 0, r.output
        assert "rounding 1/2 convolution: output error" in r.stderr
        assert "rounding 2/2 linear: output error" in r.stderr
        assert "keeps" in r.stderr
        weights.append((out / "model_weights.c").read_text())
    assert weights[0] == weights[1]
    r = cli("convert", "--help")
    assert "--optimize-rounding" in r.output and "--rounding-iterations" in r.output


def test_library_use_is_silent(tiny_files, tmp_path, capfd):
    convert_model(tiny_files["model"], tmp_path / "p",
                  ConvertOptions(calib=tiny_files["calib"], optimize_rounding=True,
                                 rounding_iterations=10))
    captured = capfd.readouterr()
    assert "rounding" not in captured.err and "rounding" not in captured.out


def test_bad_rounding_iterations(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--optimize-rounding", "--rounding-iterations", 0)
    assert_clean_failure(r, out, "--rounding-iterations", "at least 1")


@pytest.mark.slow
def test_default_iterations_keep_float_accuracy(tmp_path):
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    project = convert(tmp_path / "p", optimize_rounding=True)
    result = project.test(x, y)
    assert result.bit_exact, result.first_mismatch
    assert result.int_top1 >= result.float_top1 - 0.005  # measured: equal, 99.56 %


def test_patch_copies_of_a_layer_count_once_in_report_md():
    from tinyq.codegen.report import rounding_section, rounding_text

    result = {"method": "adaround", "layer": "convolution", "iterations": 5,
              "loss_nearest": 2.0, "loss_learned": 1.0, "kept": "learned", "changed": 7}
    copies = [{"source": "stem.0 (Conv2d)", "bits": 4, "rounding": result} for _ in range(4)]
    assert "kept in 1 of 1 layers, 7 weights" in rounding_text(copies)
    rows = [line for line in rounding_section(copies) if line.startswith("| 0 |")]
    assert rows == ["| 0 | stem.0 (Conv2d) | 4 | 2 | 1 | -50.0% | learned | 7 |"]
