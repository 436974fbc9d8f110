"""What the hub's own records say about one sidecar agent: the authority its log is checked
against, and what the checks fall back to when the log cannot be read.

Pure functions over :class:`~AgentComLibrary.hubapi.task_record.TaskRecord` records (a raw
TASK dict is parsed first), all timestamps being the hub's own milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..hubapi.task_record import ASSIGNED, COMPLETED, DEAD_LETTER, QUEUED, TaskRecord

TaskLike = Mapping[str, Any] | TaskRecord
# Events that change a task's status, and the status each leaves it in.
_STATUS_AFTER = {
    "queued": QUEUED, "assigned": ASSIGNED, "reclaimed": QUEUED, "retry": QUEUED,
    "completed": COMPLETED, "dead_letter": DEAD_LETTER,
}  # fmt: skip


def completed_at(task: TaskRecord) -> int | None:
    """When the hub recorded the (last) completion, or None."""
    events = task.events_named("completed")
    return events[-1].timestamp if events else None


def completed_by_agent(tasks: Iterable[TaskLike], agent_id: str, since_ms: int = 0) -> list[str]:
    """Ids of completed tasks whose completion the hub credits to ``agent_id`` and recorded
    at or after ``since_ms``, oldest completion first."""
    done = []
    for raw in tasks:
        task = TaskRecord.parse(raw)
        when = completed_at(task)
        if task.completed_by == agent_id and (when is None or when >= since_ms):
            done.append((when or 0, task.id))
    return [task_id for _, task_id in sorted(done)]


def status_before(task: TaskRecord, at_ms: int) -> str | None:
    """The task's status just before ``at_ms`` (events strictly earlier), from its history;
    None when the history has no event that early."""
    status = None
    for event in task.events:
        if event.timestamp is not None and event.timestamp < at_ms and event.event in _STATUS_AFTER:
            status = _STATUS_AFTER[event.event]
    return status


def recovery_answer(task: TaskLike, agent_id: str, reconnected_ms: int) -> str | None:
    """The answer the contract makes the hub give to ``task_recovering`` from ``agent_id``,
    which identified again at ``reconnected_ms``, judged from the task's history; None
    while it cannot be judged yet.

    The hub answers ``task_continue`` when the task is still assigned, else
    ``task_reassign``. Assigned (to anyone) just before the reconnection: continue; finished:
    reassign; queued: the reconnection makes the hub schedule, so the first assignment at or
    after it decides (to this agent: continue, to another: reassign).
    """
    record = TaskRecord.parse(task)
    before = status_before(record, reconnected_ms)
    if before == ASSIGNED:
        return "task_continue"
    if before in (COMPLETED, DEAD_LETTER):
        return "task_reassign"
    for event in record.events:
        if event.timestamp is None or event.timestamp < reconnected_ms:
            continue
        if event.event == "assigned":
            return "task_continue" if event.agent_id == agent_id else "task_reassign"
        if event.event in ("completed", "dead_letter"):
            return "task_reassign"
    return None


def completion_counts(tasks: Iterable[TaskLike]) -> dict[str, int]:
    """Task id -> how many ``completed`` events its history keeps."""
    return {(t := TaskRecord.parse(raw)).id: t.count("completed") for raw in tasks}
