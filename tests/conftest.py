"""Fixtures every test folder shares (this folder is also on sys.path: see `taskshape.py`)."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def run_id() -> str:
    """A fresh 8-hex-digit run id, so tests on a shared hub do not see each other's tasks."""
    return secrets.token_hex(4)
