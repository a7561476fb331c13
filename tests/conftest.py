"""Shared fixtures. Tests are grouped by what they need: tests/unit pure Python,
tests/ops and tests/models a host C compiler."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("sanitize", max_examples=6, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--sanitize", action="store_true",
                     help="build the C kernels with -fsanitize=address,undefined (the "
                          "process must preload libasan; tests/ops/test_sanitizers.py does)")


def pytest_configure(config: pytest.Config) -> None:
    profile = config.getoption("--hypothesis-profile", default=None)
    if not profile:
        settings.load_profile("sanitize" if config.getoption("--sanitize") else "default")


@pytest.fixture(scope="session")
def kernels(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from tinyq.host.kernels import KernelLib

    sanitize = request.config.getoption("--sanitize")
    return KernelLib(tmp_path_factory.mktemp("kernels"), sanitize=sanitize)
