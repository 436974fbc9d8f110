"""A real sidecar's log lines fed into the test's history (``sidecars.feed``), judged by the
contract rules like a simulated agent's frames: recorded logs of both shapes, and the real
hub's race (a task handed to a sidecar that still holds one) named by its rule."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from AgentComLibrary.checker.events import HTTP, HUB
from AgentComLibrary.checker.verdict import check, failure_message
from AgentComLibrary.checker.view import TASK, build
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.observe.history import History
from AgentComLibrary.sidecars.feed import LogFeeder, line_ms
from AgentComLibrary.sidecars.logformat import parse_line, parse_lines

FIXTURES = Path(__file__).parent / "fixtures"
AGENT = "smoke-85f6a93b-worker-1"
BASE = 1_800_000_000_000  # hub ms = sidecar ms here (one machine)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")


def line(shape: str, ms: int, name: str, **fields: object) -> str:
    """One log line of the phase-5 sidecar or of the newest (structured) one."""
    if shape == "phase-5":
        entry = {"ts": iso(ms).replace("+00:00", "Z"), "event": name, "agent_id": AGENT}
    else:
        entry = {"time": iso(ms).replace("+00:00", "Z"), "severity": "info", "message": name,
                 "module": "sidecar/index", "agent_id": AGENT}  # fmt: skip
    return json.dumps({**entry, **fields})


def started(ms: int, shape: str = "phase-5") -> list[str]:
    """A sidecar's first lines: started at ``ms``, connected 2 ms and identified 5 ms later."""
    return [
        line(shape, ms, "startup"),
        line(shape, ms + 2, "ws_open"),
        line(shape, ms + 5, "identified"),
    ]


def record_task(history: History, task_id: str, story: list[tuple], status: str) -> None:
    """The hub's record of a task (``story``: oldest first, (event, ms[, details]))."""
    assigned = [item[2]["agent_id"] for item in story if item[0] == "assigned"]
    raw = {
        "id": task_id,
        "description": task_id,
        "status": status,
        "priority": 2,
        "needed_capabilities": ["smoke-85f6a93b"],
        "assigned_to": assigned[-1] if status == "assigned" and assigned else None,
        "created_at": story[0][1],
        "metadata": {},
        "history": [
            {"event": e[0], "timestamp": e[1], "details": e[2] if len(e) > 2 else None}
            for e in reversed(story)
        ],
    }
    history.record(HUB, TASK, actor="hub", task_id=task_id, info={"task": TaskRecord.parse(raw)})


def post(history: History, task_id: str, created: int) -> None:
    """Our POST of the task, answered with its created_at (bounds the hub's clock)."""
    info = {"method": "POST", "path": "/api/tasks", "sent_wall_ms": created - 1,
            "answer_created_at": created, "answer_task_id": task_id}  # fmt: skip
    history.record(HTTP, "POST /api/tasks", actor="http", task_id=task_id, info=info,
                   wall_ms=created + 1)  # fmt: skip


def fed(lines: list[str], history: History | None = None) -> tuple[History, LogFeeder]:
    history = history or History("sidecar test")
    feeder = LogFeeder(history, "worker-1", AGENT, ["smoke-85f6a93b"])
    feeder.feed(parse_lines(lines))
    return history, feeder


def gen(agent: str, generation: int) -> dict:
    return {"agent_id": agent, "generation": generation}


# -- recorded logs ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["phase5-worker-1.log", "newest-worker-1.log"])
def test_a_recorded_log_becomes_frames_on_one_connection(fixture: str) -> None:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    history, feeder = fed(lines)
    events = history.events()
    received = [e for e in events if e.type == "task_assign"]
    expected = [e.task_id for e in parse_lines(lines) if e.name == "task_received"]
    assert [e.task_id for e in received] == expected and expected
    assert {e.conn for e in events} == {feeder.conn} or feeder.conn is None
    assert all(e.agent_id == AGENT and e.info["from_log"] == "sidecar log" for e in events)
    for event in received:
        shown = json.loads(event.info["log_line"])
        assert shown["task_id"] == event.task_id and "task_received" in shown.values()
        assert "module" not in shown and "pid" not in shown
    view = build(history)
    (conn,) = view.connections.values()
    assert conn.identified is not None and conn.capabilities == ("smoke-85f6a93b",)
    acks = [x.answer.info["status"] for x in conn.exchanges if x.answer is not None
            and x.answer.type == "task_ack"]  # fmt: skip
    assert acks.count("complete") == sum(1 for e in parse_lines(lines) if e.name == "task_complete")


def test_a_line_keeps_its_own_time() -> None:
    event = parse_line(line("phase-5", BASE + 123, "identified"))
    assert event is not None and line_ms(event) == BASE + 123
    history, _ = fed([line("phase-5", BASE, "ws_open"), line("phase-5", BASE + 7, "identified")])
    assert [e.wall_ms for e in history.events()] == [BASE, BASE + 7]


def test_a_clean_sidecar_run_breaks_no_rule() -> None:
    """Generations and assigned_at come from the hub's records; reports carry the
    generation the sidecar got with the task."""
    lines = [
        line("phase-5", BASE + 10, "startup"),
        line("phase-5", BASE + 12, "ws_open"),
        line("phase-5", BASE + 13, "identify_sent"),
        line("phase-5", BASE + 15, "identified"),
        line("phase-5", BASE + 40, "task_received", task_id="a"),
        line("phase-5", BASE + 45, "task_ack", task_id="a"),
        line("phase-5", BASE + 90, "task_complete", task_id="a"),
        line("phase-5", BASE + 95, "task_ack", task_id="a"),
    ]
    history = History("clean")
    post(history, "a", BASE + 30)
    fed(lines, history)
    record_task(history, "a", [("queued", BASE + 30), ("assigned", BASE + 38, gen(AGENT, 1)),
                               ("completed", BASE + 92)], "completed")  # fmt: skip
    verdict = check(build(history))
    assert verdict.ok, failure_message(verdict)
    frames = {e.type: e for e in build(history).events if e.info.get("from_log")}
    assert frames["task_assign"].generation == 1
    assert frames["task_assign"].info["assigned_at"] == BASE + 38
    assert frames["task_complete"].generation == 1


# -- the real hub's race ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["phase-5", "structured"])
def test_a_task_handed_to_a_busy_sidecar_is_one_task_per_agent(shape: str) -> None:
    """Seen with the phase-5 sidecar on the real hub: b is assigned while the sidecar still
    works on a; it logs task_rejected (busy) and b waits for a sweep."""
    lines = [
        line(shape, BASE + 10, "startup"),
        line(shape, BASE + 12, "ws_open"),
        line(shape, BASE + 13, "identify_sent"),
        line(shape, BASE + 15, "identified"),
        line(shape, BASE + 40, "task_received", task_id="task-a"),
        line(shape, BASE + 45, "task_ack", task_id="task-a"),
        line(
            shape,
            BASE + 60,
            "task_rejected",
            task_id="task-b",
            reason="busy",
            active_task_id="task-a",
        ),
        line(shape, BASE + 90, "task_complete", task_id="task-a"),
        line(shape, BASE + 95, "task_ack", task_id="task-a"),
    ]
    history = History("race")
    post(history, "task-a", BASE + 30)
    post(history, "task-b", BASE + 50)
    fed(lines, history)
    record_task(history, "task-a", [("queued", BASE + 30), ("assigned", BASE + 38, gen(AGENT, 1)),
                                    ("completed", BASE + 92)], "completed")  # fmt: skip
    record_task(history, "task-b", [("queued", BASE + 50), ("assigned", BASE + 55, gen(AGENT, 1))],
                "assigned")  # fmt: skip
    verdict = check(build(history, names={AGENT: "worker-1"}))
    rules = [v.rule for v in verdict.violations]
    assert rules == ["one-task-per-agent"], failure_message(verdict)
    message = failure_message(verdict, {AGENT: "worker-1"})
    assert message.startswith(
        "Contract rule 'one-task-per-agent' broken: task task-b was assigned to agent 'worker-1'"
    )
    assert "while it still held task task-a" in message
    assert '"task_rejected"' in message and '"active_task_id":"task-a"' in message
    assert "sidecar log:" in message


def test_a_restarted_sidecar_opens_a_new_connection_and_ends_the_old() -> None:
    lines = [
        *started(BASE + 10),
        line("phase-5", BASE + 40, "task_received", task_id="t"),
        *started(BASE + 500),
        line("phase-5", BASE + 506, "recovery_reporting", task_id="t"),
        line("phase-5", BASE + 510, "recovery_reassigned", task_id="t"),
    ]
    history, feeder = fed(lines)
    view = build(history)
    first, second = sorted(view.connections.values(), key=lambda c: c.number)
    assert first.end is not None and first.end.type == "lost" and first.end.wall_ms == BASE + 500
    assert second.end is None and second.identified is not None
    (exchange,) = [x for x in second.exchanges if x.frame.type == "task_recovering"]
    assert exchange.answer is not None and exchange.answer.type == "task_reassign"
    feeder.end("kill", BASE + 600)
    assert build(history).connections[second.number].end.type == "kill"


def test_a_report_with_no_known_generation_is_not_judged() -> None:
    """After a restart the sidecar's generation map is empty: what it sent is not known
    from its log, so no rule judges that report."""
    lines = [
        *started(BASE + 10),
        line("phase-5", BASE + 20, "task_complete", task_id="t"),
        line("phase-5", BASE + 25, "task_ack", task_id="t"),
    ]
    history, _ = fed(lines)
    record_task(history, "t", [("queued", BASE), ("assigned", BASE + 5, gen("other", 1)),
                               ("completed", BASE + 22)], "completed")  # fmt: skip
    view = build(history)
    report = next(e for e in view.events if e.type == "task_complete")
    assert report.info.get("generation_unknown") is True
    assert [v.rule for v in check(view).violations] == []


def test_hub_errors_that_answer_no_logged_frame_are_left_out() -> None:
    lines = [
        line("structured", BASE + 12, "ws_open"),
        line("structured", BASE + 15, "identified"),
        line("structured", BASE + 20, "hub_error", error="unknown_message_type"),
    ]
    history, _ = fed(lines)
    assert [e.type for e in history.events()] == ["open", "identified"]


def test_a_sidecar_became_idle_no_later_than_its_connection_opened() -> None:
    """Its identify_sent line comes after the send: the hub may have made it idle before an
    urgent task was queued (120), so a low task it got proves no inversion; the connection's
    opening (100) is what bounds that moment."""
    lines = [
        line("phase-5", BASE + 100, "ws_open"),
        line("phase-5", BASE + 150, "identify_sent"),
        line("phase-5", BASE + 151, "identified"),
        line("phase-5", BASE + 160, "task_received", task_id="low"),
    ]
    history = History("priority")
    post(history, "low", BASE + 50)
    post(history, "urgent", BASE + 120)
    fed(lines, history)
    record_task(history, "low", [("queued", BASE + 50), ("assigned", BASE + 155, gen(AGENT, 1))],
                "assigned")  # fmt: skip
    urgent = [("queued", BASE + 120)]
    record_task(history, "urgent", urgent, "queued")
    view = build(history)
    view.tasks["urgent"] = TaskRecord.parse({**view.tasks["urgent"].raw, "priority": 0})
    view.tasks["low"] = TaskRecord.parse({**view.tasks["low"].raw, "priority": 3})
    assert [v.rule for v in check(view).violations] == []
    earlier = {"created_at": BASE + 90, "history": [{"event": "queued", "timestamp": BASE + 90}]}
    view.tasks["urgent"] = TaskRecord.parse({**view.tasks["urgent"].raw, **earlier})
    assert [v.rule for v in check(view).violations] == ["priority-order"]


def test_a_stuck_task_a_busy_sidecar_turned_down_is_named() -> None:
    """The wait's diagnosis: another task held is the race; the same task held is not."""
    from AgentComLibrary.keywords.tasks import _rejection_note

    task = TaskRecord.parse({"id": "task-b", "status": "assigned", "generation": 1, "history": []})
    other = '{"event":"task_rejected","task_id":"task-b","active_task_id":"task-a"}'
    same = '{"event":"task_rejected","task_id":"task-b","active_task_id":"task-b"}'
    assert "contract rule 'one-task-per-agent'" in _rejection_note(task, "worker-1", other)
    note = _rejection_note(task, "solo", same)
    assert "one-task-per-agent" not in note and "from an earlier assignment" in note
