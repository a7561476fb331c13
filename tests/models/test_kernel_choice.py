"""--kernels auto|reference, the bench's TARGET+speed / TARGET+reference forms, and
unoptimized builds falling back to the reference kernels."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import torch.nn as nn

from tests.kernels.variant_case import run_case
from tests.models.test_bad_input import assert_clean_failure
from tinyq.bench import parse_spec
from tinyq.emu import build
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
    assert parse_spec("qemu-m4+int4+speed") == ("qemu-m4", {"weights": "int4",
                                                           "optimize": "speed"})
    with pytest.raises(TinyqError, match=r"\+fast"):
        parse_spec("qemu-m4+fast")


class _Net(nn.Module):
    """Convolution, depthwise, a residual add and a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.dw = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1,
                                                                      groups=8)
        self.fc = nn.Linear(8 * 6 * 7, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.conv(x))
        return self.fc(torch.flatten(torch.relu(self.dw(y) + y), 1))


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None
                    or shutil.which("riscv64-unknown-elf-gcc") is None,
                    reason="cross toolchains missing: scripts/install_toolchains.sh")
@pytest.mark.parametrize("target, weights, level", [("qemu-m4", "int4", "-O0"),
                                                    ("qemu-m55", "int4", "-O0"),
                                                    ("qemu-m0plus", "int8", "-Os"),
                                                    ("qemu-rv32v", "int8", "-O0")])
def test_unoptimized_builds_run_the_reference_bit_exact(target, weights, level, monkeypatch,
                                                        tmp_path):
    """The variants' asm needs r7, the frame pointer of -O0 builds (and of ARMv6-M at -Os):
    tq_isa.h turns the variants off there, so such a build of the same project binds the
    reference kernels and the reference weight layouts, and its bits stay the
    simulator's."""
    monkeypatch.setattr(build, "COMMON_CFLAGS",
                        tuple(level if f == "-O2" else f for f in build.COMMON_CFLAGS))
    torch.manual_seed(0)
    run_case(_Net(), (1, 3, 6, 7), target, tmp_path, seed=3, offset=0.5, weights=weights)
