"""The explorer end to end: it finds a fault of the embedded hub it was not told of, and the
reproduction it writes fails the same way there and passes on the correct hub."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from AgentComLibrary.explore.findings import CONTRACT, Finding
from robot.api import ExecutionResult, ResultVisitor

ROOT = Path(__file__).resolve().parents[2]
FAULT = "history-misorder"  # every task's history is wrong: found in the first scenario


class _Tests(ResultVisitor):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def visit_test(self, test) -> None:
        self.seen.append((test.status, test.message))


def robot(out: Path, *args: str) -> tuple[str, str]:
    subprocess.run(
        [
            sys.executable, "-m", "robot", "--argumentfile", str(ROOT / "robot.args"),
            "--outputdir", str(out), "--console", "none", "--report", "NONE", *args,
        ],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    tests = _Tests()
    ExecutionResult(str(out / "output.xml")).visit(tests)
    assert len(tests.seen) == 1, tests.seen
    return tests.seen[0]


def test_a_fault_is_found_and_its_reproduction_behaves(tmp_path: Path) -> None:
    status, message = robot(
        tmp_path / "explore",
        "--variable", f"HUB_FAULTS:{FAULT}", "--variable", "EXPLORE:yes",
        "--variable", "EXPLORE_SEED:3", "--variable", "EXPLORE_DURATION:8s",
        "--variable", "EXPLORE_OPERATIONS:6",
        "--parse-include", str(ROOT / "suites" / "15_explore.robot"), str(ROOT / "suites"),
    )  # fmt: skip
    assert status == "FAIL", message
    found = re.search(r"found: contract rule '([a-z-]+)' broken.*Reproduction: (\S+)", message)
    assert found, message
    assert found.group(1) == "history-well-formed"
    repro = Path(found.group(2))
    assert repro.parent == tmp_path / "explore"
    text = repro.read_text(encoding="utf-8")
    assert "Submit Task" in text and "No Task Should Be Lost" in text

    finding = Finding(CONTRACT, "history-well-formed")
    status, message = robot(
        tmp_path / "faulty", "--pythonpath", str(ROOT), "--variable", f"HUB_FAULTS:{FAULT}",
        str(repro),
    )  # fmt: skip
    assert status == "FAIL" and finding.matches(message), message
    status, message = robot(tmp_path / "correct", "--pythonpath", str(ROOT), str(repro))
    assert status == "PASS", message
