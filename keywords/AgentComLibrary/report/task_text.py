"""Plain-text tables of hub task records, for the failure messages of waits and checks."""

from __future__ import annotations

from collections.abc import Mapping

from ..hubapi.task_record import TaskRecord
from ..util.formatting import short_agent, table

MAX_ROWS = 25
LAST_EVENTS = 6


def task_table(
    tasks: Mapping[str, TaskRecord | None], names: Mapping[str, str], limit: int = MAX_ROWS
) -> str:
    """One row per task: status, priority, agent, generation and its last events.

    ``tasks`` maps a task id to its hub record, or None when the hub does not know it.
    """
    rows = []
    for task_id, task in list(tasks.items())[:limit]:
        if task is None:
            rows.append([task_id, "NOT FOUND", "-", "-", "-", "(the hub has no such task)"])
            continue
        events = task.describe_history(names)
        shown = ", ".join(events[-LAST_EVENTS:])
        if len(events) > LAST_EVENTS:
            shown = "..., " + shown
        rows.append(
            [
                task_id,
                task.status,
                task.priority_name,
                short_agent(task.assigned_to, names),
                task.generation,
                shown,
            ]
        )
    text = table(["task", "status", "priority", "agent", "gen", "last events"], rows)
    if len(tasks) > limit:
        text += f"\n... and {len(tasks) - limit} more tasks"
    return text
