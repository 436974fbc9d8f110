"""The library documentation's example runs as written: green, with no warning."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from AgentComLibrary import AgentComLibrary
from robot.api import ExecutionResult


def intro_example() -> str:
    """The ``= Example =`` section's preformatted lines as a .robot file."""
    doc = textwrap.dedent("    " + (AgentComLibrary.__doc__ or "").lstrip())
    section = doc.split("= Example =", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    text = "\n".join(line[2:] if line.startswith("| ") else "" for line in lines)
    return re.sub(r"``(\*\*\* [A-Za-z ]+ \*\*\*)``", r"\1", text) + "\n"


def test_the_intro_example_runs_green_without_warnings(tmp_path: Path) -> None:
    example = intro_example()
    assert example.startswith("*** Settings ***\nLibrary           AgentComLibrary")
    suite = tmp_path / "example.robot"
    suite.write_text(example, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--console", "quiet",
         str(suite)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = ExecutionResult(str(tmp_path / "output.xml"))
    assert result.statistics.total.passed == 1
    warnings = [m.message for m in result.errors.messages]
    assert warnings == [], warnings
