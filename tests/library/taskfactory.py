"""Hand-built TASK objects, as `GET /api/tasks/:id` returns them, for rendering and ledger tests."""

from __future__ import annotations

from typing import Any

from taskshape import FRESH_TASK, parse_story

T0 = 1_700_000_000_000
RUN = "smoke-ab12"


def agent(name: str) -> str:
    """The hub agent id of a short agent name in these tests."""
    return f"{RUN}-{name}"


def make_task(n: int, steps: list[tuple] | str, **extra: Any) -> dict[str, Any]:
    """A TASK object after ``steps`` (oldest first), following the contract's rules.

    Steps: ("queued", ms), ("assigned", ms, agent_id), ("completed", ms),
    ("reclaimed", ms[, details]), ("retry", ms[, error]), ("dead_letter", ms[, error]);
    or a story (``taskshape.parse_story``) naming agents by short name:
    ``"queued@5 assigned@9:victim reclaimed@400 assigned@410:rescuer completed@450"``.
    """
    if isinstance(steps, str):
        steps = [
            (event, ms, agent(who)) if who else (event, ms, details) if details else (event, ms)
            for event, ms, who, _, details in parse_story(steps)
        ]
    task: dict[str, Any] = {
        "id": f"task-{n:016x}",
        "description": f"Task {n}",
        "metadata": {"smoke_run": "ab12"},
        **FRESH_TASK,
        "needed_capabilities": [RUN],
        "submitted_by": "smoke-admin",
        "created_at": T0 + steps[0][1],
        "updated_at": T0 + steps[-1][1],
    }
    history = []
    for step in steps:
        event, at = step[0], T0 + step[1]
        details: Any = "submitted"
        if event == "assigned":
            task["generation"] += 1
            task.update(status="assigned", assigned_to=step[2], assigned_at=at)
            details = {"agent_id": step[2], "generation": task["generation"]}
        elif event == "completed":
            task.update(status="completed", result={"status": "success"})
            details = {"tokens_used": 12}
        elif event in ("reclaimed", "retry"):
            task["generation"] += 1
            task.update(status="queued", assigned_to=None, assigned_at=None)
            default = "agent_disconnect" if event == "reclaimed" else "boom"
            details = step[2] if len(step) > 2 else default
            if event == "retry":
                task["retry_count"] += 1
        elif event == "dead_letter":
            error = step[2] if len(step) > 2 else "boom"
            task.update(status="dead_letter", last_error=error)
            details = error
        history.append({"event": event, "timestamp": at, "details": details})
    task["history"] = list(reversed(history))
    task.update(extra)
    return task
