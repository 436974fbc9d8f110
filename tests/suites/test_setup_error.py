"""The suites on a real run where the set-up is wrong, and against an external hub.

A setup error (nothing at HUB_URL, no token, a rejected token) must stop the run at once
with one message saying what to do, and the console and the report must say that the
product was not tested. Against an external hub the suites share its one session: no
embedded hub is started and no test restarts a hub.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from robot.api import ExecutionResult, ResultVisitor
from skips import is_twin_skip

ROOT = Path(__file__).resolve().parents[2]
NOT_TESTED = "Setup error, the product was not tested:"
SETUP_ERROR_WITHIN = 10.0  # seconds, robot start included


class _Tests(ResultVisitor):
    def __init__(self) -> None:
        self.tests: dict[str, tuple[str, str, list[str]]] = {}

    def visit_test(self, test) -> None:
        self.tests[test.name] = (test.status, test.message, list(test.tags))


class Run:
    """One `robot ... suites` process: exit code, wall time, console, result."""

    def __init__(
        self, out: Path, *options: str, token: str | None = None, suite: Path | None = None
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k != "AGENTCOM_TOKEN"}
        if token is not None:
            env["AGENTCOM_TOKEN"] = token
        command = [sys.executable, "-m", "robot", "--argumentfile", str(ROOT / "robot.args")]
        command += ["--outputdir", str(out), *options, str(suite or ROOT / "suites")]
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        self.seconds = time.monotonic() - started
        self.rc = done.returncode
        self.stdout, self.stderr = done.stdout, done.stderr
        self.result = ExecutionResult(str(out / "output.xml"))
        visitor = _Tests()
        self.result.visit(visitor)
        self.tests = visitor.tests


@pytest.fixture(scope="module")
def hub() -> Iterator[EmbeddedHub]:
    """A hub of the test's own, used as the external hub (HUB_URL) of the runs."""
    hub = EmbeddedHub().start()
    yield hub
    hub.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_stopped_as_setup_error(run: Run, *expected: str) -> str:
    """The run stopped within the limit, non-zero, no test ran, and one message (the
    top suite's setup failure) says what was wrong; returns that message."""
    assert run.seconds < SETUP_ERROR_WITHIN, f"the setup error took {run.seconds:.1f} s"
    assert run.rc != 0
    top = run.result.suite
    message = top.setup.message
    assert message.startswith(NOT_TESTED), message
    for text in expected:
        assert text in message, message
    # the console: the error once, as the first line of stderr; every failure Robot prints
    # is that same message (no other failure, nothing that reads as a product defect)
    errors = [line for line in run.stderr.splitlines() if line.startswith("[ ERROR ]")]
    assert errors == [f"[ ERROR ] {message}"], run.stderr
    assert run.stderr.startswith(errors[0])
    said = {line for line in run.stdout.splitlines() if NOT_TESTED in line}
    # ... and the top suite's result line at the end starts with it (its documentation)
    last = f"{top.name} :: *{NOT_TESTED}"
    assert {line for line in said if not line.startswith(last)} == {message}, said
    assert any(line.startswith(last) and line.endswith("| FAIL |") for line in said), said
    # the report: the top suite's metadata and documentation say so, no test ran
    assert top.metadata["Setup error"] == message
    assert top.doc.startswith(f"*{message}*")
    assert run.tests and all(
        status == "FAIL" and msg == f"Parent suite setup failed:\n{message}"
        for status, msg, _ in run.tests.values()
    ), run.tests
    assert all(not suite.setup for suite in top.suites), "a suite setup ran"
    return message


def test_nothing_listening_at_hub_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = Run(tmp_path, "--variable", f"HUB_URL:{url}", token="0" * 64)
    message = assert_stopped_as_setup_error(run, f"not reachable at {url}", "Start one")
    assert "Error:" not in message  # no Python class name


def test_a_hub_url_that_never_answers(tmp_path: Path) -> None:
    """Something accepts connections at HUB_URL but never answers (a hung process)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody reads or answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        run = Run(tmp_path, "--variable", f"HUB_URL:{url}", token="0" * 64)
    assert_stopped_as_setup_error(run, f"not reachable at {url} (no answer in time)")


def test_missing_token_for_an_external_hub(tmp_path: Path, hub: EmbeddedHub) -> None:
    run = Run(tmp_path, "--variable", f"HUB_URL:{hub.url}", token="")
    assert_stopped_as_setup_error(run, "No bootstrap token", "AGENTCOM_TOKEN")


def test_wrong_token(tmp_path: Path, hub: EmbeddedHub) -> None:
    wrong = "f" * 64
    run = Run(tmp_path, "--variable", f"HUB_URL:{hub.url}", token=wrong)
    assert_stopped_as_setup_error(run, "rejected the bootstrap token", "ffffffff")
    assert wrong not in (tmp_path / "output.xml").read_text(encoding="utf-8")
    assert wrong not in run.stdout + run.stderr


def test_the_suites_share_one_session_on_an_external_hub(tmp_path: Path, hub: EmbeddedHub) -> None:
    """Every suite passes or skips its embedded-only, managed-hub, sidecar and lab tests (and
    NET-00, whose ping timeout this hub does not have), saying why, on the one session of the
    run: no embedded hub starts, no suite opens a session of its own."""
    run = Run(
        tmp_path,
        *("--variable", f"HUB_URL:{hub.url}", "--exclude", "slow", "--console", "dotted"),
        token=hub.token,
    )
    failed = {n: m for n, (s, m, _) in run.tests.items() if s == "FAIL"}
    assert not failed and run.rc == 0, failed
    skipped = {n for n, (s, _, _) in run.tests.items() if s == "SKIP"}
    unexplained = {
        name: message
        for name, (_, message, tags) in run.tests.items()
        if name in skipped
        and not {"embedded-only", "managed-hub", "sidecar", "network", "load", "explore"}
        & set(tags)
        and "needs the hub's ping_timeout to be at most" not in message
        and not is_twin_skip(message, tags)
    }
    assert not unexplained, unexplained
    xml = (tmp_path / "output.xml").read_text(encoding="utf-8")
    assert len(re.findall(r"Hub session open: ", xml)) == 1
    assert "embedded hub at" not in xml
    # 08, 09 and 12 ask for private hubs with other timers: not there, and they say so
    assert xml.count("No private hub against the hub at") == 3
