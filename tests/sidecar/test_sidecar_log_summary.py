"""Reading a sidecar's JSON log: stand-in lines and the production sidecar's lines."""

from __future__ import annotations

from AgentComLibrary.sidecars.process import summarize_log


def ev(message: str, seq: int = 1, **fields: object) -> dict:
    return {"message": message, "_seq": seq, **fields}


def test_standin_acks_carry_status() -> None:
    events = [
        ev("startup", client="sidecar-standin"),
        ev("task_received", task_id="t1"),
        ev("task_ack", task_id="t1", status="accepted"),
        ev("task_complete", task_id="t1"),
        ev("task_ack", task_id="t1", status="complete"),
    ]
    summary = summarize_log(events)
    assert summary.format == "stand-in"
    assert summary.received == ["t1"]
    assert summary.acknowledged_completions == ["t1"]


def test_production_acks_without_status_pair_with_the_last_report() -> None:
    events = [
        ev("startup"),
        ev("task_received", task_id="t1"),
        ev("task_ack", task_id="t1"),  # answers task_accepted
        ev("task_complete", task_id="t1"),
        ev("task_ack", task_id="t1"),  # answers task_complete
        ev("task_received", task_id="t2"),
        ev("task_ack", task_id="t2"),
        ev("task_failed", task_id="t2", reason="boom"),
        ev("task_ack", task_id="t2"),
    ]
    summary = summarize_log(events)
    assert summary.format == "production"
    assert summary.acknowledged_completions == ["t1"]
    assert summary.sent_failures == ["t2"]


def test_hub_error_without_task_id_is_tied_to_the_oldest_unanswered_report() -> None:
    events = [
        ev("task_complete", task_id="t1"),
        ev("hub_error", error="task_complete_failed: stale_generation"),
        ev("task_complete", task_id="t2"),
        ev("task_ack", task_id="t2"),
    ]
    summary = summarize_log(events)
    assert summary.rejected_completions == [("t1", "task_complete_failed: stale_generation")]
    assert summary.acknowledged_completions == ["t2"]


def test_a_lost_connection_drops_unanswered_reports() -> None:
    events = [
        ev("task_complete", task_id="t1"),
        ev("ws_close", code=1006),
        ev("task_ack", task_id="t1"),
    ]
    assert summarize_log(events).acknowledged_completions == []


def test_since_counts_only_later_events_but_keeps_pairing() -> None:
    events = [
        ev("task_complete", seq=5, task_id="t1"),
        ev("task_ack", seq=20, task_id="t1"),
        ev("task_received", seq=6, task_id="t0"),
    ]
    summary = summarize_log(events, since=10)
    assert summary.acknowledged_completions == ["t1"]
    assert summary.received == []


def test_recovery_answers_and_rejections() -> None:
    events = [
        ev("recovery_reporting", task_id="t1"),
        ev("recovery_reassigned", task_id="t1"),
        ev("recovery_reporting", task_id="t2"),
        ev("recovery_continued", task_id="t2"),
        ev("task_rejected", task_id="t3"),
    ]
    summary = summarize_log(events)
    assert summary.recovering == ["t1", "t2"]
    assert summary.recovery_answers == {"t1": ["task_reassign"], "t2": ["task_continue"]}
    assert summary.rejected_assignments == ["t3"]


def test_no_events_is_unknown_format() -> None:
    assert summarize_log([]).format == "unknown"
