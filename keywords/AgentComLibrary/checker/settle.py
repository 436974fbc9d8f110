"""The settle decision: which assignments the hub recorded that no agent has received yet
(pure). The collector waits a moment for these before the rules judge, since an assignment
may still be on its way to a connection that is open (``observe.collect``)."""

from __future__ import annotations

from collections.abc import Iterable

from .events import IN, Event
from .rules import assignment_delivered
from .view import View

Owed = set[tuple[str | None, str | None, int | None]]  # (agent id, task id, generation)


def owed_assignments(view: View) -> Owed:
    """Every recorded assignment that the rule ``assignment-delivered`` would miss now."""
    return {
        (v.agent_id, v.task_id, e.generation)
        for v in assignment_delivered(view)
        for task in [view.tasks[v.task_id or ""]]
        for e in task.assignments
        if e.agent_id == v.agent_id
    }


def all_arrived(owed: Owed, events: Iterable[Event]) -> bool:
    """Whether every owed assignment is among the ``task_assign`` frames received."""
    got = {
        (e.agent_id, e.task_id, e.generation)
        for e in events
        if e.direction == IN and e.type == "task_assign"
    }
    return owed <= got
