"""Shared fixtures of the Python tests: where the test data (tests/data) and the `anda` tool are (set by ctest)."""

import os
import subprocess
from pathlib import Path

import pytest

import seeds


def pytest_report_header(config):
    return f"test seed {seeds.SEED} (ANDA_TEST_SEED={seeds.SEED} replays it)"


def _env_path(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the Python tests through ctest (see python/CMakeLists.txt)")
    return Path(value)


@pytest.fixture(scope="session")
def data_dir():
    return _env_path("ANDA_TEST_DATA_DIR")


@pytest.fixture(scope="session")
def anda_tool():
    """Runs the C++ `anda` command; returns the CompletedProcess (text, never raises)."""
    tool = _env_path("ANDA_TOOL")

    def run(*args, env=None):
        return subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True,
                              env=env)

    return run
