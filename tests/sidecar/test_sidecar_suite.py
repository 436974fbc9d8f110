"""suites/05_real_sidecars.robot end to end: with the stand-in (and the real sidecar of
AGENTCOM_SIDECAR_DIR), with a log the library cannot read, without SIDECAR_DIR, with SIDECAR_DIR
set but no node on PATH; and no whole token left anywhere in the results afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult
from sidecar_helpers import REPO, STANDIN, wait_until_gone

SUITE = REPO / "suites" / "05_real_sidecars.robot"


RECORDER = Path(__file__).with_name("robot_recording_tokens.py")


def run_suite(
    out: Path, *variables: str, env: dict | None = None, tokens: Path | None = None
) -> dict[str, tuple[str, str]]:
    """Run the suite; return test name -> (status, message). With ``tokens``, every token
    the library handled is recorded in that file."""
    runner = [str(RECORDER), str(tokens)] if tokens else ["-m", "robot"]
    command = [
        sys.executable, *runner, "--outputdir", str(out), "--log", "NONE",
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


def warnings(out: Path) -> list[str]:
    result = ExecutionResult(str(out / "output.xml"))
    return [m.message for m in result.errors.messages if m.level == "WARN"]


def test_every_test_passes_and_no_token_is_left_in_the_results(
    source: Path, tmp_path: Path, library_has_sidecar_keywords: None
) -> None:
    """Runs with the stand-in, and with the real sidecar when AGENTCOM_SIDECAR_DIR is set."""
    tokens_file = tmp_path / "tokens.txt"
    out = tmp_path / "results"
    tests = run_suite(out, f"SIDECAR_DIR:{source}", tokens=tokens_file)
    failed = {n: m for n, (s, m) in tests.items() if s != "PASS"}
    assert len(tests) == 3 and not failed, failed
    assert not warnings(out), "both known log shapes are read without a warning"
    assert not wait_until_gone(out / "sidecars"), "sidecar processes left behind"
    tokens = set(tokens_file.read_text().split())
    # the bootstrap token and one per sidecar start (worker-1, worker-2, victim, survivor, solo)
    assert len(tokens) >= 6, tokens
    leaks = [
        f"{path.relative_to(out)} holds {token[:8]}..."
        for path in out.rglob("*")
        if path.is_file() and not path.is_symlink()
        for token in tokens
        if token.encode() in path.read_bytes()
    ]
    assert not leaks, leaks
    configs = list(out.glob("sidecars/*/*/config.json"))
    assert len(configs) == 5 and all('..."' in c.read_text() for c in configs)


def test_a_log_the_library_cannot_read_only_warns(
    standin: Path, tmp_path: Path, library_has_sidecar_keywords: None
) -> None:
    """The stand-in writes plain text lines: the checks use the hub's records and pass, and
    each sidecar's log is named in a warning."""
    env = dict(os.environ, STANDIN_LOG_FORMAT="plain")
    tests = run_suite(tmp_path, f"SIDECAR_DIR:{standin}", env=env)
    failed = {n: m for n, (s, m) in tests.items() if s != "PASS"}
    assert len(tests) == 3 and not failed, failed
    warned = warnings(tmp_path)
    assert warned and all("sidecar.log" in w and "expected one JSON object" in w for w in warned)
    for name in ("worker-1", "worker-2", "victim", "solo"):
        assert any(f"/{name}/sidecar.log" in w for w in warned), (name, warned)


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
