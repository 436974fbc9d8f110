"""Fixtures every test folder shares (this folder is also on sys.path: see `taskshape.py`)."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def run_id() -> str:
    """A fresh 8-hex-digit run id, so tests on a shared hub do not see each other's tasks."""
    return secrets.token_hex(4)


# `make test` runs the test files in parallel (pytest-xdist, --dist loadgroup): each file
# stays on one worker, so its module fixtures run once. A folder listed here stays whole on
# one worker, as its files share a costly session fixture.
ONE_WORKER_FOLDERS = {"report"}  # `runs`: three real robot runs, for every report test


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group each test by its file (or its folder, see ONE_WORKER_FOLDERS) for xdist."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = item.path
        group = path.parent.name if path.parent.name in ONE_WORKER_FOLDERS else str(path)
        item.add_marker(pytest.mark.xdist_group(group))
