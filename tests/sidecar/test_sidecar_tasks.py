"""Stand-in sidecars doing tasks against the real embedded hub."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from AgentComLibrary.agents.simulated import journal_mark
from AgentComLibrary.sidecars.process import SidecarProcess, default_wake_command
from sidecar_helpers import HubUnderTest, completed_events, wait_until

MakeSidecar = Callable[..., SidecarProcess]
STUCK_FAST = ["--stuck-threshold", "1s", "--stuck-sweep-interval", "200ms"]


def test_succeed_completes_and_the_log_counts_it(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("ok")
    task_id = hub.submit(run_id, 'quotes " and $(not run) in a description')
    task = hub.wait_status(task_id, "completed")
    assert task["result"]["status"] == "success"
    assert task["result"]["agent_id"] == sidecar.agent_id
    assert task["generation"] == 1
    assert completed_events(task) == 1
    wait_until(lambda: sidecar.completed_ids() == [task_id], what="the ack in the sidecar log")
    summary = sidecar.summary()
    assert summary.format == "stand-in"
    assert summary.received == [task_id]
    assert sidecar.completed_ids_from_hub() == [task_id]
    assert sidecar.queue() == {"active": None, "recovering": None}
    wait_until(lambda: not list(sidecar.results_dir.iterdir()), what="result files cleaned up")


def test_completions_since_a_mark(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("mark")
    first = hub.submit(run_id)
    wait_until(lambda: sidecar.completed_ids() == [first], what="first completion")
    mark = journal_mark()
    second = hub.submit(run_id)
    wait_until(lambda: sidecar.completed_ids(mark) == [second], what="second completion only")


def test_fail_reports_task_failed_with_generation(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("bad", behaviour="fail")
    task_id = hub.submit(run_id, max_retries=1)
    task = wait_until(
        lambda: (
            hub.client.find_task(task_id) if hub.client.find_task(task_id).dead_lettered else None
        ),
        what="the task is dead-lettered",
    )
    assert "simulated failure" in task.last_error
    failed = [e for e in sidecar.events() if e["message"] == "task_failed_sent"]
    assert failed and failed[0]["generation"] == 1
    assert sidecar.completed_ids() == []


def test_switch_to_delay_at_run_time_then_restart(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("sw", behaviour="hang")
    held = hub.submit(run_id)
    wait_until(lambda: (sidecar.queue().get("active") or {}).get("status") == "working")
    assert hub.task(held)["status"] == "assigned"
    # The held task keeps the sidecar busy: the next one runs after a restart with succeed.
    sidecar.set_behaviour("delay", 0.3)
    sidecar.kill()
    sidecar.restart(30)
    task = hub.wait_status(held, "completed")
    assert completed_events(task) == 1
    wait_until(lambda: held in sidecar.completed_ids(), what="completion after the restart")


def test_omit_generation_reproduces_the_historical_defect(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("old", extra_config={"omit_generation": True})
    task_id = hub.submit(run_id)
    rejected = wait_until(
        lambda: sidecar.summary().rejected_completions, what="the stale completion is rejected"
    )
    assert rejected == [(task_id, "task_complete_failed: stale_generation")]
    assert hub.task(task_id)["status"] == "assigned"
    assert sidecar.completed_ids() == []
    sent = [e for e in sidecar.events() if e["message"] == "task_complete_sent"]
    assert sent[0]["generation"] is None


@pytest.mark.parametrize(
    "hub_options", [["--stuck-threshold", "1s", "--stuck-sweep-interval", "200ms"]]
)
def test_busy_sidecar_answers_task_rejected(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    """The stuck sweep takes the held task back and offers it again: the sidecar still
    holds it in queue.json, answers task_rejected, and the hub does not know that type."""
    sidecar = make_sidecar("busy", behaviour="hang")
    task_id = hub.submit(run_id)
    summary = wait_until(
        lambda: (s := sidecar.summary()).rejected_assignments and s,
        what="a second assignment while busy",
    )
    assert task_id in summary.rejected_assignments
    wait_until(
        lambda: "unknown_message_type" in sidecar.summary().hub_errors,
        what="the hub's error for task_rejected",
    )


def test_pings_are_answered(make_sidecar: MakeSidecar) -> None:
    sidecar = make_sidecar("pinger", extra_config={"ping_interval_ms": 100})
    wait_until(
        lambda: sum(e["message"] == "pong" for e in sidecar.events()) >= 2,
        what="two pongs in the sidecar log",
    )


def test_foreign_task_is_left_alone(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    sidecar = make_sidecar("guard")
    task_id = hub.submit(run_id)
    hub.client.submit_task(
        {"description": "another run's task", "needed_capabilities": [f"smoke-{run_id}"],
         "metadata": {"smoke_run": "someone-else"}}
    )  # fmt: skip
    hub.wait_status(task_id, "completed")
    foreign = wait_until(sidecar.foreign_tasks, what="the foreign task is recorded")
    assert foreign[0]["metadata"] == {"smoke_run": "someone-else"}
    assert hub.task(foreign[0]["task_id"])["status"] == "assigned", "left alone, not finished"


def test_wake_command_substitutions(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str, tmp_path: Path
) -> None:
    """${TASK_ID}, ${TASK_DESCRIPTION} and ${TASK_JSON} are substituted as the production
    sidecar does: double quotes escaped for a double-quoted shell word, backslashes not."""
    instance = (tmp_path / "sidecars" / "subst").resolve()
    record = (
        'printf "%s" "${TASK_DESCRIPTION}" > desc.txt && printf "%s" "${TASK_JSON}" > task.json'
    )
    make_sidecar("subst", wake_command=f"{record} && {default_wake_command(instance)}")
    plain = hub.submit(run_id, "plain words")
    hub.wait_status(plain, "completed")
    task = json.loads((instance / "task.json").read_text())
    assert (task["task_id"], task["metadata"]) == (plain, {"smoke_run": run_id})
    quoted = hub.submit(run_id, 'say "hi" there')
    hub.wait_status(quoted, "completed")
    assert (instance / "desc.txt").read_text() == 'say "hi" there'
    with pytest.raises(ValueError):  # JSON's \" becomes \\" and the shell eats a backslash
        json.loads((instance / "task.json").read_text())


@pytest.mark.parametrize(
    ("wake_command", "reason"),
    [("false", "wake_failed_after_3_attempts"), ("true", "confirmation_timeout")],
)
def test_wake_failures_become_task_failed(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str, wake_command: str, reason: str
) -> None:
    sidecar = make_sidecar(
        "wf",
        wake_command=wake_command,
        confirmation_timeout_ms=300,
        extra_config={"wake_retry_delays_ms": [50, 50, 50]},
    )
    task_id = hub.submit(run_id, max_retries=1)
    task = wait_until(
        lambda: (t := hub.client.find_task(task_id)) and t.dead_lettered and t,
        what=f"dead letter with {reason}",
    )
    assert task.last_error == reason
    attempts = [e for e in sidecar.events() if e["message"] == "wake_attempt"]
    assert len(attempts) == (4 if reason.startswith("wake_failed") else 1)
