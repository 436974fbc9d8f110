"""What a stakeholder reads, asserted on real runs: the run's metadata and console lines,
task labels that tell the tasks apart, stuck work marked at the end of the test, first
assignment latency and recovery apart, metrics.json, the warning without robot.args, and
headless Chromium screenshots of report.html and log.html of the three runs (as `make
screenshots` takes them; skipped when Chromium is not installed). One file, so that the runs
are made once when `make test` spreads the test files over workers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import screenshots
from robot.api import ExecutionResult
from schemacheck import errors

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "metrics.schema.json").read_text(encoding="utf-8"))
WHOLE_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")
SUMMARY = "<!-- agentcom-test-summary -->"
MIN_SCREENSHOT_BYTES = 20_000  # a blank page is a few kB


def result(runs: Path, name: str) -> ExecutionResult:
    return ExecutionResult(str(runs / name / "output.xml"))


def summaries(runs: Path, name: str, test_id: str) -> list[str]:
    """The task summaries (not the contract panels) logged for the tests tagged ``test_id``."""
    found: list[str] = []

    def walk(item) -> None:
        for child in getattr(item, "body", ()):
            if getattr(child, "type", "") == "MESSAGE":
                if str(child.message).startswith(SUMMARY) and "Task lifecycle" in child.message:
                    found.append(child.message)
            else:
                walk(child)
        for part in ("setup", "teardown"):
            if getattr(item, f"has_{part}", False):
                walk(getattr(item, part))

    def suites(suite) -> None:
        for test in suite.tests:
            if test_id in test.tags:
                walk(test)
        for child in suite.suites:
            suites(child)

    suites(result(runs, name).suite)
    return found


def metrics(runs: Path, name: str) -> dict:
    return json.loads((runs / name / "metrics.json").read_text(encoding="utf-8"))


def test_metadata_says_what_was_tested(runs: Path) -> None:
    meta = dict(result(runs, "pass").suite.metadata)
    assert meta["Hub"] == "embedded reference hub agentcom_hub 0.1.0"
    # one hub for the run (01 and 02 need no private one), a run id per suite file
    # not a link: the embedded hub's port is gone once the run ends
    assert re.fullmatch(
        r"``http://127\.0\.0\.1:\d+`` \(embedded, stopped at the end of the run\)", meta["Hub URL"]
    )
    assert meta["Hub session"] == "1 hub opened, 3 run ids"
    assert '"service": "agent_com"' in meta["Hub health"]
    assert meta["Hub faults"] == "none"
    assert re.fullmatch(r"[0-9a-f]{8} \(\+1 more, one per suite: .*\)", meta["Run id"])
    assert meta["AgentComLibrary"].startswith("AgentComLibrary 0.1.0 (Robot Framework ")
    suite = dict(result(runs, "pass").suite.suites[0].metadata)
    assert re.fullmatch(r"[0-9a-f]{8}", suite["Run id"])
    faulty = dict(result(runs, "fail").suite.metadata)
    assert faulty["Hub faults"] == "lose-assignment"
    missing = dict(result(runs, "setup-error").suite.metadata)
    assert missing["Hub"] == "external hub at http://127.0.0.1:9"
    assert missing["Hub session"].startswith("never opened: the hub was not tested")
    for name in ("pass", "fail", "setup-error"):
        text = (runs / name / "output.xml").read_text(encoding="utf-8")
        assert not WHOLE_TOKEN.search(text), f"a whole token in {name}/output.xml"


def test_console_starts_with_what_is_tested(runs: Path) -> None:
    lines = (runs / "pass" / "console.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("AgentCom: testing the embedded reference hub; faults: none;")
    opened = [line for line in lines if "AgentCom: embedded reference hub" in line]
    assert len(opened) == 1  # the run's hub, described once; suites join it
    assert re.search(r"at http://127\.0\.0\.1:\d+ \(embedded\); GET /health: \{", opened[0])
    assert re.search(r"run id [0-9a-f]{8}$", opened[0])
    first = (runs / "fail" / "console.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "faults: lose-assignment" in first


def test_task_labels_tell_the_tasks_apart(runs: Path) -> None:
    (html,) = summaries(runs, "pass", "TEST-01")
    cells = re.findall(
        r'title="(task-[0-9a-f]{16})"><span style="color:#8c959f">(task-[0-9a-f]*)</span>'
        r"<b>([0-9a-f]+)</b>",
        html,
    )
    assert len(cells) == 10
    assert len({bold for _, _, bold in cells}) == 10, cells
    for full, shared, bold in cells:
        assert shared + bold == full  # the whole id is in the cell, to copy
        assert len(bold) < 16  # the shared time prefix is not repeated in bold
    timeline_labels = re.findall(r'font-family="monospace">([^<]+)</text>', html)
    assert sorted(unescape(label) for label in timeline_labels) == sorted(
        "\u2026" + bold for _, _, bold in cells
    )


def test_stuck_work_is_drawn_to_the_end_of_the_test(runs: Path) -> None:
    (html,) = summaries(runs, "fail", "TEST-01")
    stuck = re.findall(r"still assigned to (worker-\d) at ([0-9.]+) s", html)
    assert stuck, "no task marked as still assigned"
    assert all(float(at) >= 29 for _, at in stuck), stuck  # the 30 s wait, not the ~0.7 s
    assert re.search(r"\d tasks? still open when the test ended: .*assigned to worker-", html)
    assert "dashed line" in html and "end of the test at" in html


def test_first_assignment_latency_and_recovery_apart(runs: Path) -> None:
    (html,) = summaries(runs, "pass", "TEST-02")
    assert "first-assignment latency median" in html
    assert "recovery (taken back to assigned again) median" in html
    assert "Recovery time per task" in html and "1st assigned (ms)" in html
    entry = next(t for t in metrics(runs, "pass")["tests"] if "TEST-02" in t["ids"])
    assert entry["reclaims"] >= 1 and entry["recovery_ms"]["count"] >= 1
    assert entry["recovery_ms"]["max"] == max(entry["recovery_ms"]["values"])
    # the reclaim is not in the first-assignment latency
    assert entry["assignment_latency_ms"]["max"] < 1000


@pytest.mark.parametrize("name", ["pass", "fail", "setup-error"])
def test_metrics_json_matches_its_schema(runs: Path, name: str) -> None:
    document = metrics(runs, name)
    assert errors(document, SCHEMA, SCHEMA) == []
    totals = document["totals"]
    assert totals["tests"] == len(document["tests"])
    assert totals["passed"] + totals["failed"] + totals["skipped"] == totals["tests"]


def test_metrics_json_content(runs: Path) -> None:
    passed = metrics(runs, "pass")
    first = next(t for t in passed["tests"] if "TEST-01" in t["ids"])
    assert first["status"] == "PASS" and first["tasks"] == 10 and first["completed"] == 10
    assert first["completions"] == 10
    assert sum(first["tasks_per_agent"].values()) == 10
    assert set(first["tasks_per_agent"]) == {"worker-1", "worker-2"}
    assert first["contract"]["state"] == "held"
    assert 0 <= first["assignment_latency_ms"]["p50"] <= first["assignment_latency_ms"]["p95"]
    assert first["assignment_latency_ms"]["p95"] <= first["assignment_latency_ms"]["max"] < 5000
    assert first["wall_time_s"] > 0 and re.fullmatch("[0-9a-f]{8}", first["run_id"])
    # each test has a run id of its own, not its suite's
    assert first["run_id"] not in {s["run_id"] for s in passed["sessions"]}
    assert passed["hub_kind"] == "embedded" and len(passed["sessions"]) == 3  # run + 2 suites
    assert len({s["url"] for s in passed["sessions"]}) == 1
    failed = next(t for t in metrics(runs, "fail")["tests"] if "TEST-01" in t["ids"])
    assert failed["status"] == "FAIL" and failed["completed"] < 10
    assert failed["contract"]["state"] == "broken"
    assert "assignment-delivered" in failed["contract"]["broken_rules"]
    assert failed["statuses"].get("assigned", 0) >= 1


def test_running_the_suites_without_robot_args_warns(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "robot",
            "--outputdir", str(tmp_path),
            "--console", "none",
            "--parse-include", str(ROOT / "suites" / "10_contract.robot"),
            "--test", "CONTRACT-01*",
            str(ROOT / "suites"),
        ],
        cwd=ROOT,
        timeout=120,
        check=False,
    )  # fmt: skip
    errors_ = ExecutionResult(str(tmp_path / "output.xml")).errors.messages
    warnings = [m.message for m in errors_ if m.level == "WARN"]
    assert any("run without their argument file" in w and "results/" in w for w in warnings)


def test_screenshots_of_each_run(runs: Path) -> None:
    chromium = screenshots.find_chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    shots = [
        png for name in screenshots.RUNS for png in screenshots.shoot_run(chromium, runs, name)
    ]
    assert len(shots) == 6
    for png in shots:
        assert png.exists(), f"{png} was not written"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        size = png.stat().st_size
        assert size > MIN_SCREENSHOT_BYTES, f"{png} is nearly empty ({size} B)"
