"""--kernels auto|reference and the bench's TARGET+speed / TARGET+reference forms."""

from __future__ import annotations

import json

import pytest

from tests.models.test_bad_input import assert_clean_failure
from tinyq.bench import parse_spec
from tinyq.errors import TinyqError


def test_reference_kernels_bind_no_variant_and_say_so(cli, tiny_files):
    out = tiny_files["dir"] / "ref"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "--target",
            "qemu-m4", "--kernels", "reference", "-o", out)
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert report["kernels"] == "reference" and report["kernel_variants"] == {}
    assert "portable C reference (--kernels reference)" in (out / "report.md").read_text()
    assert not list((out / "runtime" / "src").rglob("*_dsp.c"))


def test_auto_kernels_bind_the_targets_variants(cli, tiny_files):
    out = tiny_files["dir"] / "auto"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "--target",
            "qemu-m4", "-o", out)
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    assert report["kernels"] == "auto"
    assert report["kernel_variants"]["tq_conv2d_s8"] == "tq_conv2d_s8_dsp"


def test_bad_kernels_choice_names_the_option(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "--kernels",
            "fast", "-o", out)
    assert_clean_failure(r, out, "--kernels 'fast'", "auto, reference")


def test_bench_target_forms():
    assert parse_spec("qemu-m4") == ("qemu-m4", {})
    assert parse_spec("qemu-m4+speed") == ("qemu-m4", {"optimize": "speed"})
    assert parse_spec("qemu-m55+reference") == ("qemu-m55", {"kernels": "reference"})
    with pytest.raises(TinyqError, match=r"\+fast"):
        parse_spec("qemu-m4+fast")
