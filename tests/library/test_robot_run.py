"""The library in real Robot Framework runs, checked where only output.xml tells: cleanup
of the embedded hub, the logged ledger and summary, skipping on an external hub, and no
whole token in output.xml even at TRACE level. The failure texts of the keywords are pinned
in atest/ (`make atest`); these runs reuse two of its files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from libsupport import FULL_TOKEN
from robot.api import ExecutionResult, ResultVisitor
from test_embedded_hub import pid_alive

ATEST = Path(__file__).resolve().parents[2] / "atest"
# The atest files that also run on a hub of one's own; the others need hub faults.
REAL_RUN = [ATEST / "session.robot", ATEST / "reporting.robot"]


def run_robot(tmp_path: Path, *options: str, env: dict | None = None) -> ExecutionResult:
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
            *map(str, REAL_RUN),
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

    def suites(suite) -> None:
        walk(suite)
        for test in suite.tests:
            walk(test)
        for child in suite.suites:
            suites(child)

    suites(result.suite)
    return found


class _Statuses(ResultVisitor):
    """Test name -> (status, message), from every suite of a result."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, str]] = {}

    def visit_test(self, test) -> None:
        self.seen[test.name] = (test.status, test.message)


def statuses(result: ExecutionResult) -> dict[str, tuple[str, str]]:
    visitor = _Statuses()
    result.visit(visitor)
    return visitor.seen


def test_suite_on_the_embedded_hub(tmp_path: Path) -> None:
    result = run_robot(tmp_path)
    seen = statuses(result)
    assert len(seen) >= 7 and all(status == "PASS" for status, _ in seen.values()), seen
    logged = messages(result)
    opened = [m for m in logged if m.startswith("Hub session open")]
    assert len(opened) >= 2
    for line in opened:
        pid = int(re.search(r"\(pid (\d+)", line).group(1))
        assert not pid_alive(pid), "an embedded hub outlived the robot run"
    assert any("Task ledger" in m for m in logged)
    assert any(m.startswith("<!-- agentcom-test-summary -->") for m in logged)


def test_suite_on_an_external_hub_skips_embedded_only(tmp_path: Path, hub) -> None:
    result = run_robot(
        tmp_path, "--variable", f"HUB_URL:{hub.url}", env={"AGENTCOM_TOKEN": hub.token}
    )
    seen = statuses(result)
    skipped = {name for name, (status, _) in seen.items() if status == "SKIP"}
    restarts = {
        "Restart Keeps The Tasks",
        "Restart Hub Refuses A Mode It Does Not Know",
        "Restart Embedded Hub Is A Deprecated Alias Of Restart Hub",
    }
    assert skipped == {"Hub Should Be Healthy Says When The Hub Is Gone", *restarts}, seen
    assert "tagged 'embedded-only'" in seen["Hub Should Be Healthy Says When The Hub Is Gone"][1]
    assert all("tagged 'managed-hub': it restarts the hub" in seen[n][1] for n in restarts)
    assert all(s == "PASS" for name, (s, _) in seen.items() if name not in skipped), seen


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
