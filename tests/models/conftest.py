"""Fixtures for CLI tests: a small saved model with calibration data on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.models.small_models import tiny_net


@pytest.fixture
def tiny_files(tmp_path: Path) -> dict[str, Path]:
    model = tiny_net()
    paths = {"model": tmp_path / "tiny.pt", "state": tmp_path / "tiny_state.pt",
             "pt2": tmp_path / "tiny.pt2", "calib": tmp_path / "calib.npy",
             "x": tmp_path / "x.npy", "y": tmp_path / "y.npy", "dir": tmp_path}
    torch.save(model, paths["model"])
    torch.save(model.state_dict(), paths["state"])
    torch.export.save(torch.export.export(model, (torch.zeros(1, 1, 6, 6),)), paths["pt2"])
    rng = np.random.default_rng(0)
    np.save(paths["calib"], rng.standard_normal((32, 1, 6, 6)).astype(np.float32))
    np.save(paths["x"], rng.standard_normal((10, 1, 6, 6)).astype(np.float32))
    np.save(paths["y"], rng.integers(0, 3, 10))
    return paths


@pytest.fixture(scope="session")
def cli_runner():
    from tinyq.cli import main

    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def cli(cli_runner):
    return cli_runner
