"""The bundled example end to end: accuracy of the int8 C against the float model on the
held-out digits, bit-exactness, and the generated runner under ASan + UBSan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyq.pipeline import ConvertOptions, convert_model
from tinyq.project import Project

from tests.models.sanitized import run_sanitized

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits"


@pytest.fixture(scope="module")
def digits_project(tmp_path_factory) -> Project:
    out = tmp_path_factory.mktemp("digits") / "proj"
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy"))
    return Project(out)


def test_int8_accuracy_within_one_point_of_float(digits_project):
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    result = digits_project.test(x, y)
    assert result.bit_exact, result.first_mismatch
    assert result.float_top1 >= 0.95
    assert result.int_top1 >= result.float_top1 - 0.01
    assert result.sqnr_db > 20.0


def test_runner_clean_under_sanitizers(digits_project, tmp_path):
    xq = digits_project.quantize_input(np.load(EXAMPLE / "test_x.npy")[:40])
    got = run_sanitized(digits_project, xq, tmp_path)
    assert np.array_equal(got, digits_project.simulate(xq).ravel())


def test_three_load_paths_of_the_example(tmp_path):
    outs = []
    for i, (model, extra) in enumerate([
            ("digits_cnn.pt", {}), ("digits_cnn.pt2", {}),
            ("digits_cnn_state.pt", {"model_class": "tinyq.zoo.digits:DigitsCNN"})]):
        out = tmp_path / f"p{i}"
        convert_model(EXAMPLE / model, out,
                      ConvertOptions(calib=EXAMPLE / "calib.npy", **extra))
        outs.append((out / "model_weights.c").read_text().split("\n", 1)[1])
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("method", ["percentile", "mse", "kl"])
def test_every_calibration_method_is_bit_exact_and_accurate(method, tmp_path):
    out = tmp_path / method
    convert_model(EXAMPLE / "digits_cnn.pt", out,
                  ConvertOptions(calib=EXAMPLE / "calib.npy", calib_method=method))
    x, y = np.load(EXAMPLE / "test_x.npy"), np.load(EXAMPLE / "test_y.npy")
    result = Project(out).test(x, y)
    assert result.bit_exact, result.first_mismatch
    assert result.int_top1 >= result.float_top1 - 0.01


def test_harder_jittered_digits_int8_and_int4(tmp_path):
    """examples/digits_jitter (32x32, affine jitter and noise; float well short of 100%):
    int8 within half a point of float, int4 (MSE clipping + bias correction) within two,
    both bit-exact."""
    here = EXAMPLE.parent / "digits_jitter"
    x, y = np.load(here / "test_x.npy"), np.load(here / "test_y.npy")
    for weights, slack in (("int8", 0.005), ("int4", 0.02)):
        out = tmp_path / weights
        convert_model(here / "digits_jitter.pt2", out,
                      ConvertOptions(calib=here / "calib.npy", weights=weights))
        result = Project(out).test(x, y)
        assert result.bit_exact, result.first_mismatch
        assert result.float_top1 < 0.98
        assert result.int_top1 >= result.float_top1 - slack, (weights, result.int_top1)
