"""Fixtures every test folder shares (this folder is also on sys.path: see `taskshape.py`)."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def run_id() -> str:
    """A fresh 8-hex-digit run id, so tests on a shared hub do not see each other's tasks."""
    return secrets.token_hex(4)


# Tests that run whole robot suites, labs or real processes end to end: marked `e2e`, left
# out of `make test-fast` (the inner loop), run by `make test`.
E2E_FOLDERS = ("matrix", "report", "network", "suites")
E2E_FILES = (
    "test_sidecar_suite.py",
    "test_robot_run.py",
    "test_robot_runs.py",
    "test_seed_scenarios_bench.py",
)
# `make test` spreads the test files over workers (pytest-xdist --dist loadfile), in the
# order they are collected: these folders' files each take 20-90 s, so they start first.
LONG_FIRST = ("matrix", "report", "network", "suites", "sidecar")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end tests `e2e`; move the long test files to the front, so that no
    worker starts one near the end."""

    def rank(item: pytest.Item) -> int:
        folder = item.path.parent.name
        return LONG_FIRST.index(folder) if folder in LONG_FIRST else len(LONG_FIRST)

    for item in items:
        if item.path.parent.name in E2E_FOLDERS or item.path.name in E2E_FILES:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=rank)  # stable: the order within a rank stays as collected
