"""int4 weights end to end on the digits example: `--weights int4` and a per-layer
`--weights-config`, host C (and its ASan + UBSan build) bit-exact with the simulator,
firmware under QEMU bit-exact, report weight bytes == the packed size, less flash and no
more RAM than int8; and every bad config a user can write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.models.test_bad_input import assert_clean_failure
from tinyq.emu.build import build_firmware
from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project
from tinyq.targets import load_target

from tests.models.sanitized import run_sanitized

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"
# stem.0 by module path, convolution_2 by node name; the rest take the default (int4)
CONFIG = '"stem.0" = "int8"\nconvolution_2 = "int8"\n'
needs_arm = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                               reason="cross toolchains missing: scripts/install_toolchains.sh")


def convert(out: Path, **opts: object) -> Project:
    """Whole-tensor execution, so the layers keep the names the config uses."""
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy", target="qemu-m4", patch="off",
                                 **opts))
    return Project(out)


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Project]:
    root = tmp_path_factory.mktemp("int4")
    (root / "bits.toml").write_text(CONFIG)
    return {"int8": convert(root / "int8"), "int4": convert(root / "int4", weights="int4"),
            "mixed": convert(root / "mixed", weights="int4",
                             weights_config=root / "bits.toml")}


def test_int4_host_c_bit_exact_and_accurate(projects):
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    for name in ("int4", "mixed"):
        result = projects[name].test(x, y)
        assert result.bit_exact, (name, result.first_mismatch)
        assert result.int_top1 >= result.float_top1 - 0.02, name


def test_config_sets_bits_per_layer(projects):
    bits = {layer["name"]: layer["bits"] for layer in projects["mixed"].report["layers"]}
    assert bits["convolution"] == 8 and bits["convolution_2"] == 8  # stem.0, by name
    assert bits["convolution_1"] == bits["convolution_3"] == bits["linear"] == 4
    assert {layer["bits"] for layer in projects["int8"].report["layers"]} == {8}
    c_text = (projects["mixed"].path / "model.c").read_text()
    int8_calls = c_text.count("    TQ_CONV2D_S8(") + c_text.count("    tq_conv2d_s8(")
    int4_calls = c_text.count("    TQ_CONV2D_S8S4(") + c_text.count("    tq_conv2d_s8s4(")
    assert int4_calls == 2 and int8_calls == 2  # (macros: the DSP variants)
    assert "    TQ_DWCONV2D_S8S4(" in c_text and "    TQ_FC_S8S4(" in c_text


def test_report_weight_bytes_are_the_packed_size(projects):
    for name, project in projects.items():
        nodes = {n.name: n for n in project.graph.nodes}
        for layer in project.report["layers"]:
            q = nodes[layer["name"]].qattrs
            if "weights" not in q:
                continue
            n = q["weights"].size
            packed = (n + 1) // 2 if layer["bits"] == 4 else n
            channels = q["bias"].size
            fsz = n // channels
            # qemu-m4's DSP convs (and int4 linear layers, laid out as a 1x1 conv) read
            # rows padded to groups of 4 (int4: 2 bytes each, int8: 4;
            # codegen/weight_layouts.py): that layout is what its flash holds.
            ungrouped = layer["op"] == "linear" or (
                layer["op"] == "conv2d" and nodes[layer["name"]].attrs["groups"] == 1)
            padded = ungrouped and (layer["bits"] == 4 if layer["op"] == "linear"
                                    else layer["bits"] == 4 or fsz % 4)
            if padded:
                packed = channels * layer["bits"] // 2 * -(-fsz // 4)
            assert layer["weight_bytes"] == packed + channels * (4 + 4 + 1), (name, layer)
            declared = (project.path / "model_weights.h").read_text()
            # Its int4 DSP depthwise reads a layout of its own of the packed size: the
            # array is declared without a size (two layouts, one per build).
            dual = layer["bits"] == 4 and layer["op"] == "dwconv2d"
            assert padded or dual or f"[{packed}];" in declared
    r8, r4 = projects["int8"].report, projects["int4"].report
    assert r4["weight_bytes"] < r8["weight_bytes"]
    assert r4["arena_bytes"] <= r8["arena_bytes"]


def test_int4_runner_clean_under_sanitizers(projects, tmp_path):
    project = projects["mixed"]
    xq = project.quantize_input(np.load(EXAMPLE / "test_x.npy")[:40])
    assert np.array_equal(run_sanitized(project, xq, tmp_path), project.simulate(xq).ravel())


@needs_arm
def test_int4_firmware_bit_exact_on_qemu_m4_and_smaller(projects, tmp_path):
    x = np.load(EXAMPLE / "test_x.npy")[:3]
    run = projects["int4"].run_target("qemu-m4", projects["int4"].quantize_input(x))
    assert run.bit_exact, f"input {run.first_mismatch} differs"
    s4 = run.firmware.sizes
    s8 = build_firmware(projects["int8"].path, load_target("qemu-m4"), tmp_path / "fw8").sizes
    assert s4.flash_weights < s8.flash_weights and s4.flash_total < s8.flash_total
    assert s4.ram_total <= s8.ram_total


@pytest.mark.parametrize("text, suffix, needles", [
    ('{"nosuch": "int4"}', ".json", ["nosuch", "names no layer", "conv"]),
    ('{"conv": "int2"}', ".json", ["'conv'", "'int2'", "'int4'"]),
    ('{"conv": 4}', ".json", ["'conv'", "4"]),
    ('["conv"]', ".json", ["mapping"]),
    ('{"conv": ', ".json", ["not valid JSON"]),
    ('conv = int4', ".toml", ["not valid TOML"]),
    ('pool = "int4"', ".toml", ["'pool'", "no weights"]),
    ('conv: int4', ".yaml", [".json or .toml"]),
])
def test_bad_weights_config(cli, tiny_files, text, suffix, needles):
    config = tiny_files["dir"] / f"bits{suffix}"
    config.write_text(text)
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--weights-config", config)
    assert_clean_failure(r, out, config.name, *needles)


def test_missing_weights_config(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--weights-config", tiny_files["dir"] / "nope.json")
    assert_clean_failure(r, out, "nope.json", "not found")


def test_bad_weights_value_is_a_usage_error(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--weights", tiny_files["state"])
    assert r.exit_code == 2 and "int8, int4 or mixed" in r.output and "--state-dict" in r.output
    assert not out.exists()


def test_cli_int4_with_json_config(cli, tiny_files):
    config = tiny_files["dir"] / "bits.json"
    config.write_text(json.dumps({"fc": "int8"}))
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--weights", "int4", "--weights-config", config)
    assert r.exit_code == 0, r.output
    bits = {layer["op"]: layer["bits"] for layer in Project(out).report["layers"]}
    assert bits["conv2d"] == 4 and bits["linear"] == 8
