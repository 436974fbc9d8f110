"""Headless Chromium screenshots of report.html and log.html of the three runs (as
`make screenshots` takes them); skipped when Chromium is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest
import screenshots

MIN_BYTES = 20_000  # a blank page is a few kB


def test_screenshots_of_each_run(runs: Path) -> None:
    chromium = screenshots.find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    shots = [
        png for name in screenshots.RUNS for png in screenshots.shoot_run(chromium, runs, name)
    ]
    assert len(shots) == 6
    for png in shots:
        assert png.exists(), f"{png} was not written"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > MIN_BYTES, f"{png} is nearly empty ({png.stat().st_size} B)"
