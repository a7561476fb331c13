"""Every failure a user can cause: one clear line naming the culprit, exit status 1, and
no output directory left behind."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.models.small_models import WithUnsupportedOp, tiny_net


def assert_clean_failure(result, out_dir, *needles):
    assert result.exit_code == 1, result.output
    text = result.output.strip()
    assert text.startswith("tinyq: error:"), text
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text, text
    assert not out_dir.exists()
    leftovers = [p.name for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}")]
    assert not leftovers, leftovers


def test_missing_model_file(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["dir"] / "nope.pt", "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "nope.pt", "not found")


def test_not_a_model(cli, tiny_files):
    junk = tiny_files["dir"] / "junk.pt"
    junk.write_bytes(b"this is not a pickle")
    out = tiny_files["dir"] / "out"
    r = cli("convert", junk, "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "junk.pt", "not a PyTorch model")


def test_state_dict_without_class(cli, tiny_files):
    out = tiny_files["dir"] / "out"
    r = cli("convert", tiny_files["state"], "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "state_dict", "--model-class")


def test_class_not_importable(cli, tiny_files, tmp_path):
    out = tmp_path / "out"
    r = cli("convert", tiny_files["state"], "--model-class", "nosuchpkg.models:Net",
            "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "nosuchpkg.models")


def test_pickled_class_missing(cli, tiny_files, tmp_path):
    # Pickle a model whose class lives in a module only a child process can import.
    (tmp_path / "gone_module.py").write_text(
        "import torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(36, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x.flatten(1))\n")
    path = tmp_path / "orphan.pt"
    subprocess.run([sys.executable, "-c", "import torch, gone_module; "
                    f"torch.save(gone_module.Net(), {str(path)!r})"], cwd=tmp_path, check=True)
    (tmp_path / "gone_module.py").unlink()
    out = tmp_path / "out"
    r = cli("convert", path, "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "not importable", "gone_module", "--model-class")


def test_unsupported_op(cli, tmp_path, tiny_files):
    model_path = tmp_path / "up.pt"
    torch.save(WithUnsupportedOp().eval(), model_path)
    out = tmp_path / "out"
    r = cli("convert", model_path, "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "unsupported op", "upsample", "up (Upsample)")


def test_calibration_shape_mismatch(cli, tiny_files, tmp_path):
    bad = tmp_path / "bad_calib.npy"
    np.save(bad, np.zeros((4, 3, 6, 6), dtype=np.float32))
    out = tmp_path / "out"
    r = cli("convert", tiny_files["pt2"], "--calib", bad, "-o", out)
    assert_clean_failure(r, out, "--calib", "(3, 6, 6)", "(1, 6, 6)")


def test_calibration_wrong_dtype(cli, tiny_files, tmp_path):
    bad = tmp_path / "strings.npy"
    np.save(bad, np.array([["a", "b"]]))
    out = tmp_path / "out"
    r = cli("convert", tiny_files["model"], "--calib", bad, "-o", out)
    assert_clean_failure(r, out, "--calib", "dtype")


def test_nan_weights(cli, tiny_files, tmp_path):
    model = tiny_net()
    with torch.no_grad():
        model.conv.weight[0, 0, 0, 0] = float("nan")
    path = tmp_path / "nan.pt"
    torch.save(model, path)
    out = tmp_path / "out"
    r = cli("convert", path, "--calib", tiny_files["calib"], "-o", out)
    assert_clean_failure(r, out, "conv.weight", "NaN")


def test_output_dir_exists_without_force(cli, tiny_files, tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out)
    assert r.exit_code == 1 and "--force" in r.output
    assert (out / "keep.txt").read_text() == "mine"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out,
            "--force")
    assert r.exit_code == 0, r.output
    assert not (out / "keep.txt").exists() and (out / "model.c").is_file()


@pytest.mark.parametrize("args,needle", [
    (["--name", "3bad"], "--name"),
    (["--target", "nosuchboard"], "--target"),
    (["--input-shape", "1,x,6"], "--input-shape"),
])
def test_bad_options(cli, tiny_files, tmp_path, args, needle):
    out = tmp_path / "out"
    r = cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o", out, *args)
    assert_clean_failure(r, out, needle)


def test_test_command_bad_inputs(cli, tiny_files, tmp_path):
    out = tmp_path / "proj"
    assert cli("convert", tiny_files["model"], "--calib", tiny_files["calib"], "-o",
               out).exit_code == 0
    bad = tmp_path / "bad_x.npy"
    np.save(bad, np.zeros((2, 1, 5, 5), dtype=np.float32))
    r = cli("test", out, "--inputs", bad)
    assert r.exit_code == 1 and "--inputs" in r.output and "(1, 5, 5)" in r.output
    r = cli("test", tmp_path / "nothing", "--inputs", tiny_files["x"])
    assert r.exit_code == 1 and "not a tinyq project" in r.output
