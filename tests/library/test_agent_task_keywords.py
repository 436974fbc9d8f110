"""Agent and task keywords, and the waits (success and failure text)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from AgentComLibrary import AgentComLibrary, Behaviour
from AgentComLibrary.agents.simulated import AgentError
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.keywords.tasks import priority_plan

S = timedelta(seconds=1)


@contextlib.contextmanager
def own_session(hub_faults: str | None = None) -> Iterator[AgentComLibrary]:
    """A library with a hub session of its own (``hub_faults`` on), closed at the end."""
    lib = AgentComLibrary()
    lib.open_hub_session(hub_faults=hub_faults)
    try:
        yield lib
    finally:
        lib.close()


def test_start_agent_names_ids_and_capabilities(lib: AgentComLibrary, robot_log) -> None:
    run = lib.get_run_id()
    assert lib.start_agent("victim", capabilities="gpu, big") == "victim"
    agent = lib.ctx.agents.get("victim")
    assert agent.agent_id == f"smoke-{run}-victim"
    assert agent.capabilities == [f"smoke-{run}", "gpu", "big"]
    state = lib.get_agent_state("victim")
    assert state["fsm_state"] == "idle"
    assert [c["name"] for c in state["capabilities"]] == [f"smoke-{run}", "gpu", "big"]
    assert any("identified as" in m and agent.token_hint in m for _, m in robot_log)
    with pytest.raises(ValueError, match="already running"):
        lib.start_agent("victim")
    with pytest.raises(
        RuntimeError, match=r"No agent named 'nobody' is running \(running: victim\)"
    ):
        lib.get_completed_count("nobody")


def test_start_agents_and_stop(lib: AgentComLibrary, client: HubClient) -> None:
    names = lib.start_agents(3, prefix="worker")
    assert names == ["worker-1", "worker-2", "worker-3"]
    agent_id = lib.ctx.agents.get("worker-2").agent_id
    lib.stop_agent("worker-2")
    assert "worker-2" not in lib.ctx.agents.active
    assert not any(t["agent_id"] == agent_id for t in client.list_tokens())  # revoked
    lib.stop_all_agents()
    assert lib.ctx.agents.active == {}
    lib.stop_all_agents()  # none left: fine


def test_wait_until_agent_receives_task_returns_each_task_once(lib: AgentComLibrary) -> None:
    lib.start_agent("w", behaviour=Behaviour.COMPLETE)
    first, second = lib.submit_task("one"), lib.submit_task("two")
    lib.wait_until_tasks_are_completed([first, second])
    assert lib.wait_until_agent_receives_task("w") == first
    assert lib.wait_until_agent_receives_task("w") == second
    assert lib.get_received_tasks("w") == [first, second]
    assert lib.get_completed_count("w") == 2
    started = time.monotonic()
    with pytest.raises(AssertionError) as info:
        lib.wait_until_agent_receives_task("w", timeout=timedelta(milliseconds=300))
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "Agent 'w' received no new task within 300 milliseconds" in message
    assert "connection identified, hub state idle" in message
    assert f"tasks received in this test: {first}, {second}" in message


def test_counts_are_per_test(lib: AgentComLibrary) -> None:
    lib.start_agent("w")
    lib.wait_until_task_is_completed(lib.submit_task("earlier test"))
    assert lib.get_completed_count("w") == 1
    lib.ctx.start_test("next test")
    assert lib.get_completed_count("w") == 0 and lib.get_received_tasks("w") == []
    lib.wait_until_task_is_completed(lib.submit_task("this test"))
    assert lib.get_completed_count("w") == 1


def test_report_task_complete_and_failed(
    lib: AgentComLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib.start_agent("manual", behaviour=Behaviour.HOLD)
    task = lib.submit_task("by hand", max_retries=5)
    lib.wait_until_task_is_assigned(task, agent="manual")
    answer = lib.report_task_failed("manual", task, error="disk full")
    assert answer == {"type": "task_ack", "task_id": task, "status": "retried"}
    assert lib.get_task(task)["last_error"] == "disk full"
    assert lib.wait_until_agent_receives_task("manual") == task
    assert lib.wait_until_agent_receives_task("manual") == task  # assigned again
    stale = lib.report_task_complete("manual", task, generation=1)
    assert stale["error"] == "task_complete_failed: stale_generation"
    lib.wait_until_agent_report_is_rejected("manual", task, "stale_generation")
    assert lib.report_task_complete("manual", task)["status"] == "complete"
    monkeypatch.setattr("AgentComLibrary.keywords.base.ACK_GRACE", 0.2)
    with pytest.raises(AgentError, match=r"never assigned task-0, so .* pass generation="):
        lib.report_task_complete("manual", "task-0")


def test_kill_close_and_reconnect_keywords(lib: AgentComLibrary) -> None:
    lib.start_agent("victim", behaviour=Behaviour.HOLD)
    task = lib.submit_task("reclaim me")
    lib.wait_until_task_is_assigned(task, agent="victim")
    lib.kill_agent_connection("victim")
    lib.wait_until_task_status_is(task, "queued")
    lib.set_agent_behaviour("victim", Behaviour.SLOW, delay=timedelta(milliseconds=200))
    lib.reconnect_agent("victim")
    lib.wait_until_task_is_completed(task)
    lib.close_agent_connection("victim")
    assert lib.ctx.agents.get("victim").state == "closed"
    lib.task_history_should_be(
        task, "queued", "assigned to victim", "reclaimed", "assigned to victim", "completed"
    )


def test_submit_task_marks_run_and_test(lib: AgentComLibrary) -> None:
    run = lib.get_run_id()
    task_id = lib.submit_task(
        "marked", priority="urgent", metadata={"k": "v"}, complete_by=timedelta(minutes=5)
    )
    task = lib.get_task(task_id)
    assert task["metadata"] == {"k": "v", "smoke_run": run}
    assert task["needed_capabilities"] == [f"smoke-{run}"]
    assert task["priority"] == 0
    assert 290_000 < task["complete_by"] - task["created_at"] <= 300_500
    assert lib.ctx.test.submitted == [task_id] and lib.ctx.test.attempted == 1


def test_submit_tasks_descriptions_and_priorities(lib: AgentComLibrary) -> None:
    ids = lib.submit_tasks(4, description="T{n} {priority}", priority="urgent:1, low:3")
    tasks = [lib.get_task(t) for t in ids]
    assert [t["description"] for t in tasks] == ["T1 urgent", "T2 low", "T3 low", "T4 low"]
    assert [t["priority"] for t in tasks] == [0, 3, 3, 3]


@pytest.mark.parametrize("concurrency", [1, 2])
def test_submit_tasks_passes_the_task_options_on(lib: AgentComLibrary, concurrency: int) -> None:
    run = lib.get_run_id()
    ids = lib.submit_tasks(
        2,
        concurrency=concurrency,
        metadata={"k": "v"},
        max_retries=5,
        complete_by=timedelta(minutes=5),
        capabilities=["gpu"],
    )
    for task in (lib.get_task(t) for t in ids):
        assert task["metadata"] == {"k": "v", "smoke_run": run}
        assert task["max_retries"] == 5
        assert task["needed_capabilities"] == [f"smoke-{run}", "gpu"]
        assert 290_000 < task["complete_by"] - task["created_at"] <= 300_500
    defaults = lib.get_task(lib.submit_tasks(1, concurrency=concurrency)[0])
    assert defaults["max_retries"] == 3 and defaults["complete_by"] is None


def test_max_retries_counts_attempts_and_the_failer_may_get_the_task_back(
    lib: AgentComLibrary,
) -> None:
    """max_retries 3: three failed attempts, the third dead-letters; with no other agent
    idle, the agent that failed the task is handed it straight back, and `Get Received
    Tasks` lists it once per assignment."""
    lib.start_agent("failer", behaviour=Behaviour.FAIL)
    task = lib.submit_task("fails every time", max_retries=3)
    lib.wait_until_task_status_is(task, "dead_letter")
    assert lib.get_task(task)["retry_count"] == 3
    assert lib.get_received_tasks("failer") == [task, task, task]
    lib.task_history_should_be(
        task,
        "queued",
        "assigned to failer",
        "retry",
        "assigned to failer",
        "retry",
        "assigned to failer",
        "dead_letter",
    )


def test_priority_plan() -> None:
    assert priority_plan(3, "low") == ["low"] * 3
    assert priority_plan(5, "urgent, low") == ["urgent", "low", "urgent", "low", "urgent"]
    assert priority_plan(6, "urgent:1, high:2, low:3") == [
        "urgent", "high", "low", "high", "low", "low",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="add up to 3, but count is 4"):
        priority_plan(4, "urgent:1, low:2")
    with pytest.raises(ValueError, match="must look like 'urgent:4'"):
        priority_plan(4, "urgent:x")


def test_wait_until_task_is_completed_failure_table(lib: AgentComLibrary) -> None:
    lib.start_agent("holder", behaviour=Behaviour.HOLD)
    task = lib.submit_task("held", priority="high")
    lib.wait_until_task_is_assigned(task)
    with pytest.raises(AssertionError) as info:
        lib.wait_until_task_is_completed(task, timeout=timedelta(milliseconds=400))
    message = str(info.value)
    assert message.startswith("1 task of 1 not completed within 400 milliseconds:")
    row = next(line for line in message.splitlines() if line.startswith(task))
    assert row.split()[:5] == [task, "assigned", "high", "holder", "1"]
    assert row.endswith("queued, assigned to holder")
    assert "queue stalled" not in message  # the only agent is busy, not idle


def test_idle_agents_that_cannot_take_the_task_are_no_stall(lib: AgentComLibrary) -> None:
    lib.start_agents(2, prefix="idle")
    task = lib.submit_task("needs a gpu", capabilities=["gpu"])
    with pytest.raises(AssertionError) as info:
        lib.wait_until_tasks_are_completed([task], timeout=timedelta(milliseconds=300))
    # neither idle agent has the gpu capability: the hub is right to keep the task queued
    assert str(info.value).startswith("1 task of 1 not completed within 300 milliseconds:")


def test_stall_with_the_no_idle_scheduling_fault() -> None:
    """The historical defect: a finished agent is not given the queued work."""
    with own_session(hub_faults="no-idle-scheduling") as lib:
        lib.start_agent("solo", behaviour=Behaviour.HOLD)
        first = lib.submit_task("first")
        lib.wait_until_task_is_assigned(first, agent="solo")
        rest = lib.submit_tasks(2)
        lib.set_agent_behaviour("solo", Behaviour.COMPLETE)
        lib.report_task_complete("solo", first)
        with pytest.raises(AssertionError) as info:
            lib.wait_until_tasks_are_completed([first, *rest], timeout=timedelta(seconds=1))
        message = str(info.value)
        assert message.startswith("queue stalled: 2 tasks queued while 1 agent was idle (solo)")
        assert "2 tasks of 3 not completed within 1 second" in message


def test_task_held_by_a_gone_agent_is_named() -> None:
    """With no reclaim on disconnect, the wait says which gone agent still holds the task."""
    with own_session(hub_faults="no-reclaim-on-disconnect") as lib:
        lib.start_agent("victim", behaviour=Behaviour.HOLD)
        task = lib.submit_task("held by a crashed agent")
        lib.wait_until_task_is_assigned(task, agent="victim")
        lib.kill_agent_connection("victim")
        with pytest.raises(AssertionError) as info:
            lib.wait_until_tasks_are_completed([task], timeout=timedelta(milliseconds=500))
        assert str(info.value).startswith(
            f"{task} is still assigned to 'victim', whose connection is gone: "
            "the hub did not take the task back"
        )


def test_assignment_that_never_arrived_is_named() -> None:
    """With lose-assignment, the wait names the task the agent never received."""
    with own_session(hub_faults="lose-assignment") as lib:
        lib.start_agent("worker", behaviour=Behaviour.COMPLETE)
        tasks = lib.submit_tasks(5)
        with pytest.raises(AssertionError) as info:
            lib.wait_until_tasks_are_completed(tasks, timeout=timedelta(seconds=1))
        assert str(info.value).startswith(
            f"{tasks[4]} is assigned to 'worker' (generation 1), but 'worker' never received "
            "it: the assignment was recorded but not delivered"
        )


def test_dead_letter_fails_the_wait_at_once(lib: AgentComLibrary) -> None:
    lib.start_agent("flaky", behaviour=Behaviour.FAIL)
    task = lib.submit_task("doomed", max_retries=1)
    lib.wait_until_task_status_is(task, "dead_letter")
    started = time.monotonic()
    with pytest.raises(AssertionError, match=f"Task {task} will never complete: it is in the dead"):
        lib.wait_until_task_is_completed(task, timeout=timedelta(seconds=20))
    assert time.monotonic() - started < 5
    assert [t["id"] for t in lib.get_dead_letter_tasks()] == [task]
    lib.set_agent_behaviour("flaky", Behaviour.COMPLETE)
    assert lib.retry_dead_letter_task(task)["status"] == "requeued"
    lib.wait_until_task_is_completed(task)


def test_wait_until_task_is_assigned_to_a_named_agent(lib: AgentComLibrary) -> None:
    lib.start_agent("a", behaviour=Behaviour.HOLD)
    lib.start_agent("b", behaviour=Behaviour.HOLD)
    task = lib.submit_task("who gets it")
    lib.wait_until_task_is_assigned(task)
    holder = lib.get_task(task)["assigned_to"].rsplit("-", 1)[1]
    other = "b" if holder == "a" else "a"
    assert lib.wait_until_task_is_assigned(task, agent=holder)["id"] == task
    with pytest.raises(AssertionError) as info:
        lib.wait_until_task_is_assigned(task, agent=other, timeout=timedelta(milliseconds=300))
    assert f"Task {task} was not assigned to '{other}' within 300 milliseconds" in str(info.value)


def test_wait_until_task_status_is_failure(lib: AgentComLibrary) -> None:
    task = lib.submit_task("nobody here")
    with pytest.raises(AssertionError) as info:
        lib.wait_until_task_status_is(task, "completed", timeout=timedelta(milliseconds=200))
    assert (
        f"Task {task} did not reach status 'completed' within 200 milliseconds (status is 'queued')"
        in str(info.value)
    )


def test_foreign_task_fails_waits_and_the_test(lib: AgentComLibrary, client: HubClient) -> None:
    lib.start_agent("shared")
    run = lib.get_run_id()
    foreign = client.submit_task(
        {
            "description": "another run's",
            "needed_capabilities": [f"smoke-{run}"],
            "metadata": {"smoke_run": "elsewhere"},
        }
    )["task_id"]
    agent = lib.ctx.agents.get("shared")
    assert agent.wait_for(lambda: agent.foreign_tasks(), 10)
    mine = lib.submit_task("mine")
    with pytest.raises(AssertionError) as info:
        lib.wait_until_task_is_completed(mine)
    message = str(info.value)
    assert message.startswith("The hub is shared")
    assert f"{foreign} 'another run's' to 'shared' (smoke_run 'elsewhere')" in message

    class Result:
        passed, status, message = True, "PASS", ""

    result = Result()
    lib.end_test(None, result)
    assert result.status == "FAIL" and result.message.startswith("The hub is shared")


def test_waits_log_only_the_last_attempt(
    lib: AgentComLibrary, caplog: pytest.LogCaptureFixture, robot_log
) -> None:
    caplog.set_level(logging.DEBUG)
    task = lib.submit_task("polled")
    caplog.clear()
    with pytest.raises(AssertionError):
        lib.wait_until_task_status_is(task, "completed", timeout=timedelta(milliseconds=500))
    polls = [r for r in caplog.records if f"GET /api/tasks/{task} " in r.getMessage()]
    assert len(polls) == 1
    assert not [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    lib.start_agent("w")
    caplog.clear()
    lib.wait_until_task_is_completed(task)
    assert len([r for r in caplog.records if f"GET /api/tasks/{task} " in r.getMessage()]) == 1
    assert any(m.startswith("1 task completed after ") for _, m in robot_log)


def test_get_submitted_and_wait_for_some(lib: AgentComLibrary) -> None:
    lib.start_agent("w")
    tasks = [*lib.submit_tasks(2), lib.submit_task("stuck", capabilities=["nobody"])]
    assert lib.get_submitted_tasks() == tasks
    assert lib.wait_until_some_tasks_are_completed(tasks, count=2) == tasks[:2]
    with pytest.raises(AssertionError) as info:
        lib.wait_until_some_tasks_are_completed(tasks, count=3, timeout=timedelta(milliseconds=300))
    message = str(info.value)
    assert message.startswith(
        "2 of 3 tasks completed within 300 milliseconds, expected at least 3:"
    )
    with pytest.raises(ValueError, match="Cannot wait for 4 completed tasks out of 3"):
        lib.wait_until_some_tasks_are_completed(tasks, count=4)


def test_reconnect_all_agents_after_restart() -> None:
    with own_session() as lib:
        lib.start_agents(2)
        lib.start_agent("gone")
        lib.stop_agent("gone")
        assert lib.reconnect_all_agents() == []
        lib.restart_hub("kill")
        for agent in lib.ctx.agents.active.values():
            assert agent.wait_for(lambda a=agent: not a.connected, 10)
        assert lib.reconnect_all_agents() == ["agent-1", "agent-2"]
        lib.wait_until_tasks_are_completed(lib.submit_tasks(2))
