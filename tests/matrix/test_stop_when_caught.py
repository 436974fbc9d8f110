"""The fault matrix's quick mode: once a test has caught the fault, the rest is skipped."""

from __future__ import annotations

from pathlib import Path

from robot import run
from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
LISTENER = ROOT / "tools" / "stop_when_caught.py"

SUITE = """
*** Settings ***
Suite Setup       Log    set-up
Test Teardown     Log    teardown

*** Test Cases ***
Passes
    Log    fine
Fails Without A Rule
    Fail    Task task-1 was not completed
Fails Naming The Rule
    Fail    Contract rule 'one-task-per-agent' broken: task task-2 ...
Fails Naming It In The Count Line
    Fail    Contract rule 'capabilities' broken: ... 2 more violation(s): 'one-task-per-agent' x2
Never Runs
    Fail    should have been skipped
"""

SETUP_ERROR_SUITE = """
*** Test Cases ***
Setup Error
    Fail    Setup error, the product was not tested: no hub
Real Failure
    Fail    boom
Skipped
    Log    later
"""


def run_with(tmp_path: Path, text: str, fault: str) -> dict[str, tuple[str, str]]:
    suite = tmp_path / "s.robot"
    suite.write_text(text, encoding="utf-8")
    run(
        str(suite),
        listener=f"{LISTENER}:{fault}",
        outputdir=str(tmp_path),
        log="NONE",
        report="NONE",
        console="none",
    )
    result = ExecutionResult(str(tmp_path / "output.xml"))
    return {t.name: (t.status, t.message) for t in result.suite.all_tests}


def test_any_failure_catches_a_fault_without_its_own_rule(tmp_path: Path) -> None:
    tests = run_with(tmp_path, SUITE, "unfair-agent-choice")
    assert tests["Passes"][0] == "PASS"
    assert tests["Fails Without A Rule"][0] == "FAIL"
    for name in ("Fails Naming The Rule", "Fails Naming It In The Count Line", "Never Runs"):
        status, message = tests[name]
        assert status == "SKIP", (name, status, message)
        assert message == "Not run: the fault was caught by 'Fails Without A Rule'."


def test_a_fault_with_its_own_rule_runs_until_that_rule_is_named(tmp_path: Path) -> None:
    tests = run_with(tmp_path, SUITE, "double-assign")  # its rule: one-task-per-agent
    assert tests["Fails Without A Rule"][0] == "FAIL"
    assert tests["Fails Naming The Rule"][0] == "FAIL"
    assert tests["Fails Naming It In The Count Line"][0] == "SKIP"
    assert tests["Never Runs"][0] == "SKIP"


def test_a_rule_named_only_in_the_count_line_catches_it(tmp_path: Path) -> None:
    tests = run_with(
        tmp_path, SUITE.replace("one-task-per-agent' broken", "x' broken"), "double-assign"
    )
    assert tests["Fails Naming It In The Count Line"][0] == "FAIL"
    assert tests["Never Runs"][0] == "SKIP"


def test_a_setup_error_catches_nothing(tmp_path: Path) -> None:
    tests = run_with(tmp_path, SETUP_ERROR_SUITE, "any")
    assert tests["Setup Error"][0] == "FAIL"
    assert tests["Real Failure"][0] == "FAIL"
    assert tests["Skipped"][0] == "SKIP"
