"""The library's console lines follow Robot's --console: shown by the verbose console only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = """\
*** Settings ***
Library    AgentComLibrary

*** Test Cases ***
Nothing
    No Operation
"""


@pytest.mark.parametrize("console", ["verbose", "dotted", "quiet", "none"])
def test_console_lines_follow_robots_console(tmp_path: Path, console: str) -> None:
    (tmp_path / "quiet.robot").write_text(SUITE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "robot", "--console", console, "--outputdir", str(tmp_path),
         str(tmp_path / "quiet.robot")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    shown = "AgentCom: testing" in done.stdout
    assert shown == (console == "verbose"), done.stdout
    if console in ("quiet", "none"):
        assert done.stdout.strip() == "", done.stdout
