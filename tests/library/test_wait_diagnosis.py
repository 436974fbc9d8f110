"""The diagnosis a task wait adds when a task stays assigned to a connected agent that the
hub's own state says holds another task, or none (the real hub's orphaned assignment)."""

from __future__ import annotations

from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.keywords.tasks import TaskKeywords

W2 = "smoke-r-worker-2"


def assigned(task_id: str = "task-b") -> TaskRecord:
    return TaskRecord.parse({
        "id": task_id, "description": "d", "status": "assigned", "assigned_to": W2,
        "generation": 1, "priority": 2, "history": [],
    })  # fmt: skip


def note(states: dict[str, dict] | None) -> str:
    return TaskKeywords._orphan_note(None, assigned(), "worker-2", states)  # type: ignore[arg-type]


def test_a_task_the_agent_state_holds_gets_no_note() -> None:
    assert note({W2: {"fsm_state": "working", "current_task_id": "task-b"}}) == ""


def test_a_task_the_agent_state_does_not_hold_is_named() -> None:
    text = note({W2: {"fsm_state": "working", "current_task_id": "task-a"}})
    assert text == (
        "task-b is assigned to 'worker-2' (generation 1), but the hub's own state of "
        "'worker-2' holds task task-a: nothing on the hub will hand task-b on"
    )
    assert "holds no task (idle)" in note({W2: {"fsm_state": "idle", "current_task_id": None}})


def test_no_state_no_note() -> None:
    assert note(None) == "" and note({}) == ""
