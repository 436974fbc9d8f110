"""suites/05_real_sidecars.robot end to end: with the stand-in, without SIDECAR_DIR, and
with SIDECAR_DIR set but no node on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult
from sidecar_helpers import REPO, STANDIN, wait_until_gone

SUITE = REPO / "suites" / "05_real_sidecars.robot"


def run_suite(out: Path, *variables: str, env: dict | None = None) -> dict[str, tuple[str, str]]:
    """Run the suite; return test name -> (status, message)."""
    command = [
        sys.executable, "-m", "robot", "--outputdir", str(out), "--log", "NONE",
        "--report", "NONE", "--console", "quiet",
    ]  # fmt: skip
    for variable in variables:
        command += ["--variable", variable]
    subprocess.run([*command, str(SUITE)], cwd=REPO, env=env, timeout=600, check=False)
    result = ExecutionResult(str(out / "output.xml"))
    tests: dict[str, tuple[str, str]] = {}

    def collect(suite) -> None:
        for test in suite.tests:
            tests[test.name] = (test.status, test.message)
        for child in suite.suites:
            collect(child)

    collect(result.suite)
    return tests


@pytest.fixture
def library_has_sidecar_keywords() -> None:
    from AgentComLibrary import AgentComLibrary

    names = AgentComLibrary().get_keyword_names()
    assert "start_sidecar_agent" in names, (
        "AgentComLibrary does not register SidecarKeywords yet "
        "(integration request in .notes/REQUESTS.md)"
    )


def test_without_sidecar_dir_every_test_is_skipped(
    tmp_path: Path, library_has_sidecar_keywords: None
) -> None:
    tests = run_suite(tmp_path)
    assert len(tests) == 3
    for name, (status, message) in tests.items():
        assert status == "SKIP", f"{name}: {status} {message}"
        assert "--variable SIDECAR_DIR:/path/to/sidecar" in message


def test_with_the_standin_every_test_passes(
    node: str, tmp_path: Path, library_has_sidecar_keywords: None
) -> None:
    tests = run_suite(tmp_path, f"SIDECAR_DIR:{STANDIN}")
    failed = {n: m for n, (s, m) in tests.items() if s != "PASS"}
    assert len(tests) == 3 and not failed, failed
    assert not wait_until_gone(tmp_path / "sidecars"), "sidecar processes left behind"


def test_node_missing_fails_with_a_clear_message(
    tmp_path: Path, library_has_sidecar_keywords: None
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = dict(os.environ, PATH=str(empty_bin))
    tests = run_suite(tmp_path / "out", f"SIDECAR_DIR:{STANDIN}", env=env)
    for name, (status, message) in tests.items():
        assert status == "FAIL", f"{name}: {status}"
        assert "Node.js is needed to run real sidecars" in message
