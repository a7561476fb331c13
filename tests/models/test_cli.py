"""The CLI end to end on a small model: all three load paths, test output and --json,
help and version, determinism, the generated Makefile."""

from __future__ import annotations

import json
import subprocess

import numpy as np

from tinyq import __version__
from tinyq.project import Project


def test_help_and_version(cli):
    r = cli("--version")
    assert r.exit_code == 0 and __version__ in r.output
    r = cli("convert", "--help")
    assert r.exit_code == 0
    for opt in ("--calib", "--calib-method", "--input-shape", "--model-class", "--state-dict",
                "--weights", "--weights-config", "--target", "--force"):
        assert opt in r.output


def test_three_ways_to_load_give_the_same_project(cli, tiny_files, tmp_path):
    outs = []
    for i, args in enumerate([[tiny_files["model"]], [tiny_files["pt2"]],
                              [tiny_files["state"], "--model-class",
                               "tests.models.small_models:TinyNet"]]):
        out = tmp_path / f"p{i}"
        r = cli("convert", *args, "--calib", tiny_files["calib"], "-o", out)
        assert r.exit_code == 0, r.output
        outs.append(out)
    # identical but for the file name in the first comment line
    c_files = [(o / "model_weights.c").read_text().split("\n", 1)[1] for o in outs]
    assert c_files[0] == c_files[1] == c_files[2]


def test_test_command_text_and_json(cli, tiny_files, tmp_path):
    out = tmp_path / "p"
    assert cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o",
               out).exit_code == 0
    r = cli("test", out, "--inputs", tiny_files["x"], "--labels", tiny_files["y"])
    assert r.exit_code == 0, r.output
    assert "bit-exact (C == simulator): yes" in r.output
    assert "int8 top-1" in r.output and "SQNR" in r.output
    r = cli("test", out, "--inputs", tiny_files["x"], "--json")
    d = json.loads(r.output)
    assert d["bit_exact"] is True and d["n"] == 10
    assert {"float_top1", "int_top1", "agreement", "sqnr_db"} <= set(d)
    assert d["float_top1"] is None  # no labels given


def test_converting_twice_is_byte_identical(cli, tiny_files, tmp_path):
    trees = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o",
                   out).exit_code == 0
        trees.append({str(p.relative_to(out)): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0].keys() == trees[1].keys()
    assert trees[0] == trees[1]


def test_report_json_fields(cli, tiny_files, tmp_path):
    out = tmp_path / "p"
    cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out)
    report = json.loads((out / "report.json").read_text())
    for key in ("macs", "weight_bytes", "arena_bytes", "arena_lower_bound_bytes", "layers"):
        assert key in report
    assert report["macs"] == 6 * 6 * 4 * 9 + 4 * 3  # conv + linear
    layer = report["layers"][0]
    for key in ("name", "op", "input_shapes", "output_shape", "macs", "weight_bytes", "bits"):
        assert key in layer
    assert report["arena_bytes"] >= report["arena_lower_bound_bytes"]
    assert "arena lower bound" in (out / "report.md").read_text()


def test_generated_makefile_builds_a_runner_that_matches(cli, tiny_files, tmp_path):
    out = tmp_path / "p"
    cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out)
    subprocess.run(["make", "-s", "-C", str(out)], check=True, capture_output=True)
    proj = Project(out)
    xq = proj.quantize_input(np.load(tiny_files["x"]))
    (tmp_path / "in.bin").write_bytes(xq.tobytes())
    subprocess.run([str(out / "build" / "model_runner"), str(tmp_path / "in.bin"),
                    str(tmp_path / "out.bin")], check=True)
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype=np.int8)
    assert np.array_equal(got, proj.simulate(xq).ravel())


def test_python_api(tiny_files, tmp_path):
    import tinyq

    proj = tinyq.convert(tiny_files["model"], tmp_path / "api", calib=tiny_files["calib"])
    result = proj.test(np.load(tiny_files["x"]), np.load(tiny_files["y"]))
    assert result.bit_exact and result.n == 10


def test_inspect_summarises_a_project(cli, tiny_files, tmp_path):
    out = tmp_path / "p"
    cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out)
    r = cli("inspect", out)
    assert r.exit_code == 0, r.output
    assert "MACs" in r.output and "arena" in r.output and "peak while layer" in r.output
    assert "## Memory timeline" in (out / "report.md").read_text()
    assert cli("inspect", tmp_path).exit_code == 1
