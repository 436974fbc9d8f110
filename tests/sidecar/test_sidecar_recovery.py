"""Crashed sidecars: the hub reclaims the task; a restarted sidecar reports it recovering."""

from __future__ import annotations

import json
from collections.abc import Callable

from AgentComLibrary.sidecars.process import SidecarProcess
from sidecar_helpers import HubUnderTest, assigned_agents, completed_events, wait_until

MakeSidecar = Callable[..., SidecarProcess]


def working_on(sidecar: SidecarProcess) -> str | None:
    active = sidecar.queue().get("active") or {}
    return active.get("task_id") if active.get("status") == "working" else None


def test_killed_sidecars_task_is_completed_by_another_exactly_once(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    victim = make_sidecar("victim", behaviour="hang")
    task_id = hub.submit(run_id, "survive a crash")
    assert wait_until(lambda: working_on(victim), what="victim confirmed the task") == task_id
    survivor = make_sidecar("survivor")
    code = victim.kill()
    assert code == -9
    assert victim.state == "killed"
    task = hub.wait_status(task_id, "completed")
    assert completed_events(task) == 1
    assert assigned_agents(task) == [victim.agent_id, survivor.agent_id]
    events = [h["event"] for h in reversed(task["history"])]
    assert events == ["queued", "assigned", "reclaimed", "assigned", "completed"]
    wait_until(
        lambda: survivor.completed_ids() == [task_id], what="survivor's acknowledged completion"
    )
    assert victim.completed_ids() == []
    # The killed process kept the task in its queue.json.
    assert json.loads(victim.queue_path.read_text())["active"]["task_id"] == task_id

    # Restarted, it reports the task; the hub has finished it elsewhere: task_reassign.
    victim.set_behaviour("succeed")
    victim.restart(30)
    answers = wait_until(
        lambda: victim.recovery_answers().get(task_id), what="the hub's answer to task_recovering"
    )
    assert answers == ["task_reassign"]
    wait_until(lambda: victim.queue() == {"active": None, "recovering": None}, what="queue cleared")
    task = hub.task(task_id)
    assert task["status"] == "completed" and completed_events(task) == 1
    assert victim.completed_ids() == []


def test_restarted_sidecar_recovers_its_task_and_completes_it_once(
    make_sidecar: MakeSidecar, hub: HubUnderTest, run_id: str
) -> None:
    solo = make_sidecar("solo", behaviour="hang")
    task_id = hub.submit(run_id, "recover after a restart")
    wait_until(lambda: working_on(solo) == task_id, what="solo confirmed the task")
    solo.kill()
    hub.wait_status(task_id, "queued")
    solo.set_behaviour("succeed")
    solo.restart(30)
    answers = wait_until(
        lambda: solo.recovery_answers().get(task_id), what="the hub's answer to task_recovering"
    )
    # The hub hands the requeued task to the restarted agent as soon as it identifies,
    # before it reads task_recovering, so the task is assigned again: task_continue.
    assert answers == ["task_continue"]
    task = hub.wait_status(task_id, "completed")
    assert completed_events(task) == 1
    assert assigned_agents(task) == [solo.agent_id, solo.agent_id]
    wait_until(lambda: solo.completed_ids() == [task_id], what="one acknowledged completion")
    summary = solo.summary()
    assert summary.starts == 2
    assert summary.recovering == [task_id]
    assert summary.rejected_completions == []
