"""A scenario file outside ``suites/``, run from another directory, as docs/scenarios.md
(*A scenario file elsewhere*) says: the resource found through ``--pythonpath``, the suite
and test set-up and teardown in the file itself, ``robot.args`` given by its path.
Without robot.args and the test teardown, the library warns about the missing contract
checks only (the argument-file warning is for the project's ``suites`` directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """\
*** Settings ***
Resource          resources/agentcom.resource

Suite Setup       Start AgentCom Suite
Suite Teardown    Finish AgentCom Suite
{test_settings}

*** Test Cases ***
A Failed Task Is Retried And Completed By The Other Agent
    Start Agent    failer    behaviour=fail
    Start Agent    worker
    ${{task}}    Submit Task    Fails once    max_retries=3
    Wait Until Task Is Completed    ${{task}}
    Task Should Be Completed Exactly Once    ${{task}}
    Task Should Be Completed By    ${{task}}    worker
    Task History Should Be    ${{task}}    queued    assigned to failer    retry
    ...    assigned to worker    completed
"""
TEST_SETTINGS = "Test Setup        Start AgentCom Test\nTest Teardown     Finish AgentCom Test\n"


def run(cwd: Path, *options: str) -> tuple[ExecutionResult, list[str]]:
    """``robot`` in ``cwd`` on ``my_tests/retry.robot``; the result and its warnings."""
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_URL", "AGENTCOM_TOKEN")}
    command = [sys.executable, "-m", "robot", "--console", "none", "--pythonpath", str(ROOT)]
    subprocess.run(
        [*command, *options, "my_tests/retry.robot"], cwd=cwd, env=env, timeout=120, check=False
    )
    out = cwd / "results" if "--argumentfile" in options else cwd
    result = ExecutionResult(str(out / "output.xml"))
    return result, [m.message for m in result.errors.messages if m.level == "WARN"]


def write_scenario(cwd: Path, test_settings: str) -> None:
    (cwd / "my_tests").mkdir()
    (cwd / "my_tests" / "retry.robot").write_text(
        SCENARIO.format(test_settings=test_settings), encoding="utf-8"
    )


def test_a_scenario_elsewhere_with_robot_args(tmp_path: Path) -> None:
    write_scenario(tmp_path, TEST_SETTINGS)
    result, warnings = run(tmp_path, "--argumentfile", str(ROOT / "robot.args"))
    test = result.suite.tests[0]
    assert test.status == "PASS", test.message
    assert result.suite.name == "AgentCom Acceptance"  # robot.args applied
    assert (tmp_path / "results" / "log.html").is_file()  # --outputdir results: in cwd
    assert warnings == []


def test_a_scenario_elsewhere_without_test_teardown_or_robot_args(tmp_path: Path) -> None:
    write_scenario(tmp_path, "")
    result, warnings = run(tmp_path)
    assert result.suite.tests[0].status == "PASS", result.suite.tests[0].message
    assert not any("argument file" in w for w in warnings)
    [warning] = warnings
    assert "contract checks did not run" in warning
    assert "`Test Teardown    Finish AgentCom Test`" in warning
