"""The rules of checker/report_rules.py on hand-made histories: recovering-answer and
tokens-recorded, each holding and broken."""

from __future__ import annotations

from AgentComLibrary.checker.events import IN, OUT
from AgentComLibrary.observe.history import frame_fields
from histbuild import Builder, violations

W1, W2 = "w1", "w2"


def recovering(b: Builder, conn: int, agent: str, task: str, answer: str, gen: int = 1) -> None:
    """``agent`` sends task_recovering and gets ``answer`` 2 ms later."""
    b.send(conn, agent, "task_recovering", task)
    info = {"has_generation": True} if answer == "task_continue" else {}
    b.frame(IN, answer, conn, agent, task, gen if info else None, info, b.wall + 2)


def completed_then_recovering(answer: str) -> Builder:
    """w1 completes t1 (acked), then reports it as recovering."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("t1", created_at=1010, sent=1009, received=1011)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.complete(1, W1, "t1", 1)
    recovering(b, 1, W1, "t1", answer)
    b.snapshot()
    b.task("t1", "queued@1010 assigned@1012:w1/1 completed@1016", "completed")
    return b


def test_continue_for_a_task_completed_with_an_ack_is_a_violation() -> None:
    found = violations(completed_then_recovering("task_continue"), "recovering-answer")
    assert len(found) == 1
    assert "the contract's answer is task_reassign" in found[0].text


def test_reassign_for_a_completed_task_holds() -> None:
    assert violations(completed_then_recovering("task_reassign"), "recovering-answer") == []


def held_then_recovering(answer: str, at: int = 1020) -> Builder:
    """w1 holds t1 (accepted, never finished) and reports it as recovering."""
    b = Builder()
    b.accepted_first(1, W1, "t1", created=1010, stamp=1012)
    b.wall = at
    recovering(b, 1, W1, "t1", answer)
    b.snapshot()
    b.task("t1", "queued@1010 assigned@1012:w1/1", "assigned", assigned_to=W1)
    return b


def test_continue_for_a_held_task_holds() -> None:
    assert violations(held_then_recovering("task_continue"), "recovering-answer") == []


def test_reassign_for_a_task_assigned_all_along_is_a_violation() -> None:
    found = violations(held_then_recovering("task_reassign"), "recovering-answer")
    assert len(found) == 1
    assert "the contract's answer is task_continue" in found[0].text


def taken_back(answer: str, reassigned_at: int | None) -> Builder:
    """w1's t1 is reclaimed at 1020 (its connection died); w1 reconnects and reports it as
    recovering at 1101..1103; t1 is queued until ``reassigned_at`` (to w2), if ever."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.post("t1", created_at=1010, sent=1009, received=1011)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.end(1, W1, at=1019)
    b.connect(2, W1, at=1100)
    recovering(b, 2, W1, "t1", answer)
    b.snapshot()
    text = "queued@1010 assigned@1012:w1/1 reclaimed@1020=agent_disconnect"
    if reassigned_at is None:
        b.task("t1", text, "queued")
    else:
        b.task("t1", f"{text} assigned@{reassigned_at}:w2/3", "assigned", assigned_to=W2)
    return b


def test_continue_for_a_task_queued_all_that_time_is_a_violation() -> None:
    assert len(violations(taken_back("task_continue", None), "recovering-answer")) == 1


def test_continue_for_a_task_assigned_to_another_agent_holds() -> None:
    """The contract says "still assigned" and names no agent; the real hub answers
    task_continue for a task assigned to anyone."""
    assert violations(taken_back("task_continue", 1050), "recovering-answer") == []


def test_continue_when_the_task_may_have_been_assigned_meanwhile_is_not_judged() -> None:
    assert violations(taken_back("task_continue", 1102), "recovering-answer") == []


def test_without_clock_bounds_only_a_completion_ack_proves_anything() -> None:
    b = Builder()
    b.connect(1, W1, at=1000)
    recovering(b, 1, W1, "t1", "task_continue")
    b.snapshot()
    b.task("t1", "queued@10 assigned@12:w2/1 completed@16", "completed")
    assert violations(b, "recovering-answer") == []


# -- tokens-recorded -------------------------------------------------------------------------


def completion(message: dict, recorded: object, details: object = "same") -> Builder:
    """w1 completes t1 with ``message``'s counts (acked); the record says ``recorded``."""
    b = Builder()
    b.connect(1, W1, at=1000)
    b.assign(1, W1, "t1", 1, assigned_at=1012, at=1013)
    b.send(1, W1, "task_accepted", "t1")
    b.ack(1, W1, "t1", "accepted")
    fields = frame_fields({"type": "task_complete", "task_id": "t1", "generation": 1, **message})
    b.frame(OUT, "task_complete", 1, W1, "t1", 1, fields["info"], None)
    b.ack(1, W1, "t1", "complete")
    b.snapshot()
    entry = {"tokens_used": recorded if details == "same" else details}
    b.task("t1", [("queued", 1010), ("assigned", 1012, {"agent_id": W1, "generation": 1}),
                  ("completed", 1016, entry)], "completed")  # fmt: skip
    b.events[-1].info["task"].raw["tokens_used"] = recorded  # type: ignore[index]
    return b


def test_top_level_tokens_recorded_holds() -> None:
    assert violations(completion({"tokens_used": 120, "result": {}}, 120), "tokens-recorded") == []


def test_tokens_inside_result_ignored_is_a_violation() -> None:
    b = completion({"result": {"tokens_used": 77}}, None)
    found = violations(b, "tokens-recorded")
    assert len(found) == 1
    assert "tokens_used 77 (inside result)" in found[0].text


def test_tokens_inside_result_recorded_holds() -> None:
    assert violations(completion({"result": {"tokens_used": 77}}, 77), "tokens-recorded") == []


def test_top_level_wins_over_result_as_on_the_real_hub() -> None:
    message = {"tokens_used": 5, "result": {"tokens_used": 9}}
    assert violations(completion(message, 5), "tokens-recorded") == []
    assert len(violations(completion(message, 9), "tokens-recorded")) == 1


def test_no_count_anywhere_must_record_null() -> None:
    assert violations(completion({"result": {"ok": True}}, None), "tokens-recorded") == []
    assert len(violations(completion({"result": None}, 3), "tokens-recorded")) == 1


def test_the_history_entry_must_agree_too() -> None:
    b = completion({"tokens_used": 4}, 4, details=None)
    assert len(violations(b, "tokens-recorded")) == 1


def test_counts_that_are_no_int_are_not_judged() -> None:
    assert violations(completion({"tokens_used": "12"}, "12"), "tokens-recorded") == []
    assert violations(completion({"result": "text"}, None), "tokens-recorded") == []
