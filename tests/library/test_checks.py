"""Every check keyword: passing on the real hub, and failing with a readable message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from AgentComLibrary import AgentComLibrary, Behaviour
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.report.summary import SUMMARY_MARKER

MS = timedelta(milliseconds=1)


def completed_pair(lib: AgentComLibrary) -> tuple[str, str]:
    """A task killed on 'victim' and completed by 'survivor'."""
    lib.start_agent("victim", behaviour=Behaviour.HOLD)
    task = lib.submit_task("reclaim me")
    lib.wait_until_task_is_assigned(task, agent="victim")
    lib.start_agent("survivor")
    lib.kill_agent_connection("victim")
    lib.wait_until_task_is_completed(task)
    return task, lib.submit_task("never taken", capabilities=["nobody-has-this"])


def fake_tasks(lib: AgentComLibrary, monkeypatch: pytest.MonkeyPatch, tasks: list[dict]) -> None:
    by_id = {t["id"]: TaskRecord.parse(t) for t in tasks}
    monkeypatch.setattr(lib.ctx.session.client, "find_task", lambda task_id: by_id.get(task_id))
    lib.ctx.test.records.forget()  # the kept records are the hub's real ones


def make_task(task_id: str, priority: int, created: int, assigned: int | None) -> dict:
    history = [{"event": "queued", "timestamp": created, "details": "submitted"}]
    if assigned is not None:
        history.insert(
            0,
            {
                "event": "assigned",
                "timestamp": assigned,
                "details": {"agent_id": "x", "generation": 1},
            },
        )
    return {
        "id": task_id, "priority": priority, "created_at": created, "status": "completed",
        "assigned_to": "x", "assigned_at": assigned, "generation": 1, "history": history,
    }  # fmt: skip


def test_completed_checks_pass(lib: AgentComLibrary, robot_log) -> None:
    task, _ = completed_pair(lib)
    lib.task_should_be_completed(task)
    lib.task_should_be_completed_exactly_once(task)
    lib.task_should_be_completed_by(task, "survivor")
    lib.task_history_should_be(
        task, "queued", "assigned to victim", "reclaimed", "assigned to survivor", "completed"
    )
    lib.task_history_should_be(task, "queued", "assigned", "reclaimed", "assigned", "completed")
    lib.completed_count_should_be("survivor", 1)
    lib.completed_count_should_be("victim", 0)
    assert any(m == f"{task} completed exactly once, by survivor." for _, m in robot_log)


def test_completed_checks_fail_readably(lib: AgentComLibrary) -> None:
    task, queued = completed_pair(lib)
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed(queued)
    assert str(info.value).startswith(
        f"Task {queued} should be completed, but it is 'queued' (agent -, generation 0)."
    )
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed_by(task, "victim")
    assert str(info.value).startswith(
        f"Task {task} should have been completed by 'victim', but the hub says 'survivor' "
        "completed it."
    )
    with pytest.raises(AssertionError) as info:
        lib.task_history_should_be(task, "queued", "assigned to survivor", "completed")
    assert str(info.value) == (
        f"Task {task} history should be:\n    queued > assigned to survivor > completed\n"
        "but the hub recorded:\n    queued > assigned to victim > reclaimed > "
        "assigned to survivor > completed"
    )
    with pytest.raises(AssertionError) as info:
        lib.completed_count_should_be("survivor", 2)
    assert str(info.value) == (
        f"Agent 'survivor' should have completed 2 tasks in this test (acknowledged by the "
        f"hub), but completed 1: {task}."
    )
    with pytest.raises(AssertionError, match="the hub has no such task"):
        lib.task_should_be_completed("task-0000000000000000")


def test_completed_without_agent_ack_is_caught(
    lib: AgentComLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cross-check: the hub says an agent completed it, the agent never got the ack."""
    task, _ = completed_pair(lib)
    survivor = lib.ctx.agents.get("survivor")
    monkeypatch.setattr(survivor, "completed_ids", lambda since=0: [])
    monkeypatch.setattr("AgentComLibrary.keywords.base.ACK_GRACE", 0.2)
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed(task)
    assert str(info.value) == (
        f"Task {task}: the hub says 'survivor' completed it (generation 3), but 'survivor' "
        "never received a task_ack 'complete' for it (its completions in this test: none)."
    )


def test_exactly_once_fails_on_two_completions(
    lib: AgentComLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    task, _ = completed_pair(lib)
    real = lib.get_task(task)
    record = {**real, "history": [dict(real["history"][0]), *real["history"]]}
    fake_tasks(lib, monkeypatch, [record])
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed_exactly_once(task)
    assert str(info.value).startswith(
        f"Task {task} should have been completed exactly once, but its hub history has 2 "
        "'completed' events:"
    )
    victim = lib.ctx.agents.get("victim")
    monkeypatch.setattr(victim, "completed_ids", lambda since=0: [task])
    fake_tasks(lib, monkeypatch, [real])
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_completed_exactly_once(task)
    assert "acknowledged 2 completions of it to the test's agents (victim: 1, survivor: 1)" in str(
        info.value
    )


def test_rejection_check(lib: AgentComLibrary) -> None:
    lib.start_agent("buggy", behaviour=Behaviour.OMIT_GENERATION)
    task = lib.submit_task("never done")
    lib.wait_until_agent_report_is_rejected("buggy", task, "stale_generation")
    lib.wait_until_agent_report_is_rejected("buggy", task, "task_complete_failed: stale_generation")
    with pytest.raises(AssertionError) as info:
        lib.wait_until_agent_report_is_rejected("buggy", task, "invalid_state", timeout=MS * 200)
    assert str(info.value) == (
        f"Agent 'buggy' should have had a report on {task} rejected with 'invalid_state' "
        "within 200 milliseconds, but saw rejections: task_complete: stale_generation; "
        "acks: accepted."
    )


def test_latency_and_tokens(lib: AgentComLibrary) -> None:
    lib.start_agent("cheap")
    lib.start_agent("costly", tokens_used=700)
    tasks = lib.submit_tasks(4)
    lib.wait_until_tasks_are_completed(tasks)
    lib.assignment_latency_should_be_below(tasks, timedelta(seconds=5))
    with pytest.raises(AssertionError) as info:
        lib.assignment_latency_should_be_below(tasks, timedelta(0))
    assert str(info.value).startswith(
        "Assignment latency should be below 0 ms for all 4 tasks (min "
    )
    assert "4 tasks were not:\ntask " in str(info.value)
    lib.tokens_used_should_be_below(tasks, 701)
    with pytest.raises(AssertionError) as info:
        lib.tokens_used_should_be_below(tasks, 500)
    message = str(info.value)
    assert message.startswith("Tokens used should be below 500 for every task, but ")
    costly = [line for line in message.splitlines() if line.startswith("task-")]
    assert costly and all(line.split()[1:] == ["700", "costly"] for line in costly)


def test_realistic_tokens_and_a_missing_count(lib: AgentComLibrary) -> None:
    lib.start_agent("realistic")
    tasks = lib.submit_tasks(3)
    lib.wait_until_tasks_are_completed(tasks)
    used = [lib.get_task(t)["tokens_used"] for t in tasks]
    assert all(100 <= n < 450 for n in used), used  # realistic, so a limit can catch them
    lib.tokens_used_should_be_below(tasks, 450)
    with pytest.raises(AssertionError, match="Tokens used should be below 100 for every"):
        lib.tokens_used_should_be_below(tasks, 100)
    lib.stop_all_agents()
    lib.start_agent("forgetful", tokens_used="omit")
    task = lib.submit_task("no count")
    lib.wait_until_task_is_completed(task)
    with pytest.raises(AssertionError) as info:
        lib.tokens_used_should_be_below([task], 500)
    assert str(info.value).startswith(
        "Tokens used should be below 500 for every task, but 1 completed task had no "
        "tokens_used (the agent did not report it, so the limit cannot be checked):\n"
    )
    assert f"{task}  not reported  forgetful" in str(info.value)


def test_latency_of_never_assigned_task(lib: AgentComLibrary) -> None:
    task = lib.submit_task("nobody")
    with pytest.raises(AssertionError) as info:
        lib.assignment_latency_should_be_below([task], timedelta(seconds=5))
    assert "no task was assigned" in str(info.value)
    assert f"{task}  never assigned  -            queued" in str(info.value)


def test_distribution_checks(lib: AgentComLibrary) -> None:
    lib.start_agents(2, prefix="even")
    tasks = lib.submit_tasks(6)
    lib.wait_until_tasks_are_completed(tasks)
    lib.every_agent_should_have_completed_at_least_one_task()
    lib.tasks_should_be_evenly_distributed(tasks, tolerance=2)
    lib.start_agent("late")
    with pytest.raises(AssertionError) as info:
        lib.every_agent_should_have_completed_at_least_one_task()
    assert str(info.value).startswith(
        "Every agent should have completed at least one task, but 'late' completed none "
        "(completed per agent: even-1: "
    )
    with pytest.raises(AssertionError) as info:
        lib.tasks_should_be_evenly_distributed(tasks, tolerance=1)
    message = str(info.value)
    assert message.startswith(
        "Tasks should be evenly distributed: 6 completed tasks over 3 agents is 2 each, +/- 1,"
    )
    assert "'late' completed 0" in message


def test_priority_checks_pass_on_the_real_hub(lib: AgentComLibrary) -> None:
    tasks = lib.submit_tasks(9, priority="urgent:3, normal:3, low:3")
    lib.start_agent("solo")
    lib.wait_until_tasks_are_completed(tasks)
    lib.no_priority_should_be_starved(tasks)
    lib.urgent_tasks_should_be_assigned_before_low_tasks_on_average(tasks)
    lib.every_urgent_task_should_be_assigned_before_any_low_task(tasks)
    lib.each_priority_should_be_assigned_oldest_first(tasks)


def test_priority_checks_catch_ignore_priority() -> None:
    lib = AgentComLibrary()
    lib.open_hub_session(hub_faults="ignore-priority")
    try:
        tasks = lib.submit_tasks(6, priority="low:3, urgent:3")  # low, urgent, low, ...
        lib.start_agent("solo")
        lib.wait_until_tasks_are_completed(tasks)
        lib.no_priority_should_be_starved(tasks)
        with pytest.raises(AssertionError) as info:
            lib.every_urgent_task_should_be_assigned_before_any_low_task(tasks)
        assert str(info.value).startswith(
            f"Every urgent task should be assigned before any low task, but low task {tasks[0]} "
            "was assigned at +"
        )
        with pytest.raises(AssertionError, match="Urgent tasks should be assigned before low"):
            lib.urgent_tasks_should_be_assigned_before_low_tasks_on_average(tasks)
    finally:
        lib.close()


def test_starvation_is_named(lib: AgentComLibrary) -> None:
    lib.start_agent("slowpoke", behaviour=Behaviour.HOLD)
    tasks = lib.submit_tasks(2, priority="urgent, low")
    lib.wait_until_task_is_assigned(tasks[0])
    with pytest.raises(AssertionError) as info:
        lib.no_priority_should_be_starved(tasks)
    message = str(info.value)
    assert message.startswith(
        "No priority should be starved, but urgent, low have unfinished tasks "
        "(completed: urgent 0/1, low 0/1):"
    )
    assert tasks[1] in message


def test_priority_order_needs_both_levels(lib: AgentComLibrary) -> None:
    tasks = lib.submit_tasks(2, priority="high")
    with pytest.raises(AssertionError, match="needs both, but the 2 tasks include 0 urgent and 0"):
        lib.urgent_tasks_should_be_assigned_before_low_tasks_on_average(tasks)


def test_oldest_first_violation(lib: AgentComLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_tasks(
        lib, monkeypatch, [make_task("task-a", 1, 1000, 1500), make_task("task-b", 1, 1010, 1200)]
    )
    with pytest.raises(AssertionError) as info:
        lib.each_priority_should_be_assigned_oldest_first(["task-a", "task-b"])
    assert str(info.value) == (
        "Each priority should be assigned oldest first, but:\n"
        "- high: task-b (created 10 ms after task-a) was assigned 300 ms before it"
    )
    fake_tasks(lib, monkeypatch, [make_task("task-a", 1, 1000, None)])
    with pytest.raises(AssertionError, match="1 task were never assigned"):
        lib.each_priority_should_be_assigned_oldest_first(["task-a"])


def test_agent_should_be_flagged(lib: AgentComLibrary) -> None:
    lib.start_agent("slowpoke", behaviour=Behaviour.IGNORE)
    lib.start_agent("fine", behaviour=Behaviour.HOLD)
    task = lib.submit_task("ignored")
    assert lib.wait_until_agent_receives_task("slowpoke") == task
    lib.wait_until_task_is_assigned(task, agent="fine", timeout=timedelta(seconds=15))
    lib.agent_should_be_flagged("slowpoke", "unresponsive")
    with pytest.raises(AssertionError) as info:
        lib.agent_should_be_flagged("fine", "unresponsive")
    assert str(info.value).startswith(
        f"Agent 'fine' ({lib.ctx.agents.get('fine').agent_id}) should be flagged 'unresponsive', "
        "but its flags are []"
    )


def test_no_task_should_be_lost(lib: AgentComLibrary, robot_log) -> None:
    lib.start_agent("w")
    tasks = lib.submit_tasks(3)
    lib.wait_until_tasks_are_completed(tasks)
    lib.no_task_should_be_lost()
    assert any("Task ledger" in m and "valid" in m for _, m in robot_log)
    lib.ctx.test.submitted.append("task-00000000deadbeef")
    with pytest.raises(AssertionError) as info:
        lib.no_task_should_be_lost()
    message = str(info.value)
    assert message.startswith("Task ledger is not valid: 1 lost")
    assert "- lost task-00000000deadbeef:" in message


def test_log_test_summary(lib: AgentComLibrary, robot_log) -> None:
    lib.log_test_summary()  # nothing submitted: nothing logged
    assert not any(SUMMARY_MARKER in m for _, m in robot_log)
    lib.start_agent("w")
    tasks = lib.submit_tasks(2)
    lib.wait_until_tasks_are_completed(tasks)
    lib.log_test_summary()
    [summary] = [m for _, m in robot_log if m.startswith(SUMMARY_MARKER)]
    assert all(t in summary or t[-8:] in summary for t in tasks)


def test_status_and_dead_letter_checks(lib: AgentComLibrary) -> None:
    lib.start_agent("flaky", behaviour=Behaviour.FAIL)
    task = lib.submit_task("doomed", max_retries=1)
    lib.wait_until_task_status_is(task, "dead_letter")
    lib.task_status_should_be(task, "dead_letter")
    lib.task_should_be_in_dead_letter(task)
    other = lib.submit_task("waits", capabilities=["nobody"])
    with pytest.raises(AssertionError) as info:
        lib.task_status_should_be(other, "assigned")
    assert str(info.value).startswith(
        f"Task {other} should be 'assigned', but it is 'queued' (agent -, generation 0)."
    )
    with pytest.raises(AssertionError) as info:
        lib.task_should_be_in_dead_letter(other)
    assert str(info.value).startswith(
        f"Task {other} should be in the dead letter, but its status is 'queued', it has no "
        "last_error, GET /api/tasks/dead-letter does not list it."
    )


def test_total_completed_count(lib: AgentComLibrary) -> None:
    lib.start_agents(2)
    tasks = lib.submit_tasks(3)
    lib.wait_until_tasks_are_completed(tasks)
    lib.total_completed_count_should_be(3)
    with pytest.raises(AssertionError) as info:
        lib.total_completed_count_should_be(4)
    assert "should have completed 4 tasks in total, but the hub acknowledged 3 (agent-1: " in str(
        info.value
    )


def test_every_assignment_reached_its_agent(lib: AgentComLibrary) -> None:
    lib.start_agents(2)
    tasks = lib.submit_tasks(4)
    lib.wait_until_tasks_are_completed(tasks)
    lib.every_assignment_should_have_reached_its_agent(tasks)
