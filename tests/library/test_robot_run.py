"""The library in real Robot Framework runs: type conversion, exact failure messages,
the listener, skipping, cleanup, and no whole token in output.xml even at TRACE level."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from libsupport import FULL_TOKEN
from robot.api import ExecutionResult
from test_embedded_hub import pid_alive

SUITE = """\
*** Settings ***
Library           AgentComLibrary    hub_url=${HUB_URL}    poll_interval=50ms
Suite Setup       Open Hub Session
Suite Teardown    Close Hub Session
Test Setup        Skip Test If It Needs The Embedded Hub
Test Teardown     Run Keywords    Log Test Summary    AND    Stop All Agents

*** Variables ***
${HUB_URL}        ${EMPTY}

*** Test Cases ***
Pipeline
    @{names} =    Start Agents    2    prefix=worker
    ${tasks} =    Submit Tasks    6    priority=urgent:2, normal:2, low:2
    Wait Until Tasks Are Completed    ${tasks}    timeout=20s
    Assignment Latency Should Be Below    ${tasks}    5s
    Tokens Used Should Be Below    ${tasks}    500
    Tasks Should Be Evenly Distributed    ${tasks}
    No Priority Should Be Starved    ${tasks}
    No Task Should Be Lost

Failure Messages
    Start Agent    buggy    behaviour=Omit Generation
    ${task} =    Submit Task    Never done    priority=high
    ${got} =    Wait Until Agent Receives Task    buggy    timeout=5s
    Should Be Equal    ${got}    ${task}
    Wait Until Agent Report Is Rejected    buggy    ${task}    stale_generation
    Run Keyword And Expect Error
    ...    Task ${task} should be completed, but it is 'assigned' (agent buggy, generation 1).*
    ...    Task Should Be Completed    ${task}
    Run Keyword And Expect Error    STARTS: 1 task of 1 not completed within 300 ms:
    ...    Wait Until Task Is Completed    ${task}    timeout=300ms
    Run Keyword And Expect Error
    ...    Agent 'buggy' should have completed 1 task in this test (*), but completed 0: none.
    ...    Completed Count Should Be    buggy    1
    ${answer} =    Report Task Complete    buggy    ${task}
    Should Be Equal    ${answer}[status]    complete
    Wait Until Task Status Is    ${task}    completed
    Task History Should Be    ${task}    queued    assigned to buggy    completed

Dead Letter And Retry
    Start Agent    flaky    behaviour=fail
    ${task} =    Submit Task    Fails    max_retries=1
    Wait Until Task Status Is    ${task}    dead letter
    Set Agent Behaviour    flaky    complete
    Retry Dead Letter Task    ${task}
    Wait Until Task Is Completed    ${task}

Restart
    [Tags]    embedded-only
    ${token} =    Create Agent Token    smoke-outsider
    Restart Embedded Hub    mode=terminate
    Hub Should Be Healthy
    Revoke Agent Token    smoke-outsider
"""


def run_robot(tmp_path: Path, *options: str, env: dict | None = None) -> ExecutionResult:
    suite = tmp_path / "library_in_robot.robot"
    suite.write_text(SUITE)
    out = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "robot",
            "--loglevel",
            "TRACE",
            "--outputdir",
            str(out),
            "--console",
            "none",
            *options,
            str(suite),
        ],
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )
    xml = (out / "output.xml").read_text(encoding="utf-8")
    assert not FULL_TOKEN.search(xml), "a whole token is in output.xml"
    return ExecutionResult(str(out / "output.xml"))


def messages(result: ExecutionResult) -> list[str]:
    found: list[str] = []

    def walk(item) -> None:
        for child in getattr(item, "body", []):
            if type(child).__name__ == "Message":
                found.append(child.message)
            else:
                walk(child)
        for attr in ("setup", "teardown"):
            if getattr(item, attr, None):
                walk(getattr(item, attr))

    walk(result.suite)
    for test in result.suite.tests:
        walk(test)
    return found


def test_suite_on_the_embedded_hub(tmp_path: Path) -> None:
    result = run_robot(tmp_path)
    statuses = {t.name: (t.status, t.message) for t in result.suite.tests}
    assert all(status == "PASS" for status, _ in statuses.values()), statuses
    logged = messages(result)
    opened = next(m for m in logged if m.startswith("Hub session open"))
    pid = int(re.search(r"\(pid (\d+)", opened).group(1))
    assert not pid_alive(pid), "the embedded hub outlived the robot run"
    assert any("Task ledger" in m for m in logged)
    assert any(m.startswith("<!-- agentcom-test-summary -->") for m in logged)


def test_suite_on_an_external_hub_skips_embedded_only(tmp_path: Path, hub) -> None:
    result = run_robot(
        tmp_path, "--variable", f"HUB_URL:{hub.url}", env={"AGENTCOM_TOKEN": hub.token}
    )
    statuses = {t.name: (t.status, t.message) for t in result.suite.tests}
    assert statuses["Restart"][0] == "SKIP"
    assert "tagged 'embedded-only'" in statuses["Restart"][1]
    assert all(s == "PASS" for name, (s, _) in statuses.items() if name != "Restart"), statuses


def test_libdoc_documents_every_keyword(tmp_path: Path) -> None:
    spec = tmp_path / "AgentComLibrary.json"
    subprocess.run(
        [sys.executable, "-m", "robot.libdoc", "AgentComLibrary", str(spec)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    doc = json.loads(spec.read_text(encoding="utf-8"))
    assert doc["scope"] == "GLOBAL" and doc["version"]
    assert "= Agent behaviours =" in doc["doc"] or "Agent behaviours" in doc["doc"]
    names = {k["name"] for k in doc["keywords"]}
    assert {"Open Hub Session", "Wait Until Tasks Are Completed", "No Task Should Be Lost"} <= names
    mine = ("session.py", "agents.py", "tasks.py", "checks.py", "reporting.py")
    # Components of other helpers (sidecars, contract) are theirs to check.
    checked = [k for k in doc["keywords"] if str(k.get("source", "")).endswith(mine)]
    assert len(checked) >= 50
    for kw in checked:
        assert "Example" in kw["doc"], kw["name"]
        assert all(arg.get("doc") for arg in kw["args"]), kw["name"]
    assert {"Behaviour", "RestartMode", "Secret", "timedelta"} <= {
        t["name"] for t in doc["typedocs"]
    }
