"""Real Robot runs of TEST-01 (and the failure-recovery suite) shared by the report tests:
a passing run, a failing run (hub fault lose-assignment) and a setup-error run, made the
way `make screenshots` makes them (tools/screenshots.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import screenshots  # noqa: E402  (tools/ is not a package)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output directory holding ``pass/``, ``fail/`` and ``setup-error/``."""
    out = tmp_path_factory.mktemp("report-runs")
    for name in screenshots.RUNS:
        screenshots.run_suite(out, name)
    return out
