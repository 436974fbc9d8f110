"""A typo in a choice fails in ``robot --dryrun``, before any hub is started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from robot.api import ExecutionResult

SUITE = """\
*** Settings ***
Library    AgentComLibrary

*** Test Cases ***
Unknown Priority
    Submit Task    Say hello    priority=urgnt

Unknown Behaviour
    Start Agent    worker    behaviour=compleet

Unknown Restart Mode
    Restart Hub    mode=pause

Known Choices
    Submit Task    Say hello    priority=URGENT
    Start Agent    worker    behaviour=hold
"""


def test_unknown_choices_fail_in_a_dry_run(tmp_path: Path) -> None:
    (tmp_path / "choices.robot").write_text(SUITE, encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "robot", "--dryrun", "--console", "none"]
    subprocess.run(
        [*command, "--outputdir", str(out), str(tmp_path / "choices.robot")],
        timeout=120,
        check=False,
    )
    tests = {
        t.name: (t.status, t.message)
        for t in ExecutionResult(str(tmp_path / "out" / "output.xml")).suite.tests
    }
    assert tests["Known Choices"] == ("PASS", "")
    status, message = tests["Unknown Priority"]
    assert status == "FAIL" and "'urgnt'" in message and "'urgent', 'high', 'normal'" in message
    status, message = tests["Unknown Behaviour"]
    assert status == "FAIL" and "'compleet'" in message
    status, message = tests["Unknown Restart Mode"]
    assert status == "FAIL" and "'pause'" in message
