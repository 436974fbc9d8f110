"""Reading sidecar logs: shape detection and what the lines say, on real captured lines.

The fixtures are logs of the real AgentCom sidecar (the phase-5 commit and the newest one)
captured while suites/05_real_sidecars.robot ran against the embedded hub (paths shortened;
no token is ever in them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from AgentComLibrary.sidecars import logformat as lf
from AgentComLibrary.sidecars.logformat import LogEvent, summarize

FIXTURES = Path(__file__).parent / "fixtures"
VERSIONS = {"phase5": lf.PHASE5, "newest": lf.STRUCTURED}


def lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def events(name: str) -> list[LogEvent]:
    return [
        lf.parse_line(line, seq)
        for seq, line in enumerate(lines(name), 1)
        if lf.parse_line(line) is not None
    ]


def task_of(name: str, event: str) -> str:
    return next(e.task_id for e in events(name) if e.name == event and e.task_id)


@pytest.mark.parametrize(("version", "shape"), VERSIONS.items())
def test_every_real_line_is_read_in_its_own_shape(version: str, shape: str) -> None:
    for name in ("solo", "victim", "worker-1"):
        detected = lf.detect(lines(f"{version}-{name}.log"))
        assert detected.format == shape
        assert detected.lines == len(lines(f"{version}-{name}.log"))
        assert detected.phase5 + detected.structured == detected.lines, "every line is an event"


def test_phase5_line_fields() -> None:
    first = events("phase5-solo.log")[0]
    assert (first.name, first.format) == ("startup", lf.PHASE5)
    assert first.time.startswith("2026-") and first.get("agent_id").endswith("-solo")


def test_structured_line_fields() -> None:
    first = events("newest-solo.log")[0]
    assert (first.name, first.format) == ("startup", lf.STRUCTURED)
    assert first.get("severity") == "info" and first.get("module") == "sidecar/index"


@pytest.mark.parametrize("version", VERSIONS)
def test_worker_completions_are_acknowledged(version: str) -> None:
    name = f"{version}-worker-1.log"
    summary = summarize(events(name))
    completed = [e.task_id for e in events(name) if e.name == "task_complete"]
    assert completed and summary.sent_completions == completed
    assert summary.acknowledged_completions == completed
    assert summary.received == completed
    assert summary.rejected_completions == [] and summary.starts == 1
    assert summary.completions_readable


@pytest.mark.parametrize("version", VERSIONS)
def test_killed_victim_reports_recovery_and_is_reassigned(version: str) -> None:
    name = f"{version}-victim.log"
    task = task_of(name, "recovery_reporting")
    summary = summarize(events(name))
    assert summary.starts == 2
    assert summary.recovering == [task]
    assert summary.recovery_answers == {task: ["task_reassign"]}
    assert summary.acknowledged_completions == []


@pytest.mark.parametrize("version", VERSIONS)
def test_restarted_solo_continues_and_completes_once(version: str) -> None:
    name = f"{version}-solo.log"
    task = task_of(name, "recovery_reporting")
    summary = summarize(events(name))
    assert summary.recovery_answers == {task: ["task_continue"]}
    # Received before the crash and again after it; one acknowledged completion.
    assert summary.received == [task, task]
    assert summary.acknowledged_completions == [task]


def test_since_counts_later_lines_only_and_keeps_pairing() -> None:
    all_events = events("phase5-worker-1.log")
    complete = next(e for e in all_events if e.name == "task_complete")
    summary = summarize(all_events, since=complete.seq)
    # The first completion was sent before the mark and acknowledged after it: counted.
    assert summary.acknowledged_completions[0] == complete.task_id
    assert complete.task_id not in summary.received


def test_acks_are_paired_per_task_in_order() -> None:
    def ev(name: str, **fields: object) -> LogEvent:
        return LogEvent(name, fields, lf.PHASE5)

    summary = summarize(
        [
            ev("task_received", task_id="t1"),
            ev("task_complete", task_id="t1"),  # before the accept ack came back
            ev("task_ack", task_id="t1"),  # answers task_accepted
            ev("hub_error", error="task_complete_failed: stale_generation"),
            ev("task_received", task_id="t2"),
            ev("task_ack", task_id="t2"),
            ev("task_complete", task_id="t2"),
            ev("ws_close", code=1006),
            ev("task_ack", task_id="t2"),  # a new connection: answers nothing of ours
        ]
    )
    assert summary.rejected_completions == [("t1", "task_complete_failed: stale_generation")]
    assert summary.acknowledged_completions == []


def test_a_structured_log_without_acks_cannot_show_completions() -> None:
    info_only = [line for line in lines("newest-worker-1.log") if '"severity":"debug"' not in line]
    summary = summarize(lf.parse_lines(info_only))
    assert summary.sent_completions and not summary.acks_logged
    assert not summary.completions_readable


def test_unknown_and_empty_logs() -> None:
    plain = ["[2026-01-01T00:00:00Z] startup {}", '{"level": "info", "msg": "startup"}']
    shape = lf.detect(plain)
    assert shape.format == lf.UNKNOWN and not shape.readable
    text = lf.describe_unreadable("/x/sidecar.log", shape)
    assert "/x/sidecar.log" in text and '"event"' in text and '"message"' in text
    assert "[2026-01-01T00:00:00Z] startup" in text
    assert lf.detect([]).format == lf.EMPTY
    assert "has no lines" in lf.describe_unreadable("/x/sidecar.log", lf.detect([]))
    assert summarize([]).format == lf.EMPTY


def test_lines_of_both_shapes_are_each_read() -> None:
    mixed = lines("phase5-solo.log")[:3] + lines("newest-solo.log")[:2]
    shape = lf.detect(mixed)
    assert (shape.phase5, shape.structured, shape.format) == (3, 2, lf.PHASE5)
    assert [e.name for e in lf.parse_lines(mixed)][3] == "startup"


@pytest.mark.parametrize("version", VERSIONS)
def test_connection_state_and_refusal(version: str) -> None:
    all_events = events(f"{version}-worker-1.log")
    opened = [e for e in all_events if e.name != "identified"]
    cut = next(i for i, e in enumerate(opened) if e.name == "identify_sent") + 1
    assert lf.connection_state(opened[:cut]) == "open"
    refused = LogEvent("hub_error", {"error": "invalid_token"}, VERSIONS[version])
    assert lf.refusal([*opened[:cut], refused]) == "invalid_token"
    assert lf.hub_error_lines([*opened[:cut], refused]) == ["invalid_token"]


def test_fixtures_hold_no_token() -> None:
    for path in FIXTURES.glob("*.log"):
        for line in path.read_text().splitlines():
            assert "token" not in json.loads(line), path
