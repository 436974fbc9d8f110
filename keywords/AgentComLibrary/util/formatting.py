"""Plain-text renderings of hub records for failure messages and logs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

PRIORITY_NAMES = {0: "urgent", 1: "high", 2: "normal", 3: "low"}
PRIORITY_LEVELS = {name: level for level, name in PRIORITY_NAMES.items()}
MAX_ROWS = 25
LAST_EVENTS = 6


def priority_name(priority: object) -> str:
    """``urgent``/``high``/``normal``/``low`` for the hub's integer priority."""
    if isinstance(priority, str) and priority in PRIORITY_LEVELS:
        return priority
    return PRIORITY_NAMES.get(priority, str(priority))  # type: ignore[arg-type]


def short_agent(agent_id: str | None, names: Mapping[str, str]) -> str:
    """The short name a test uses for an agent, else the hub's agent id, ``-`` for none."""
    if not agent_id:
        return "-"
    return names.get(agent_id, agent_id)


def history_oldest_first(task: Mapping) -> list[dict]:
    """The task's history oldest first (the hub keeps it newest first)."""
    history = list(task.get("history") or [])
    return sorted(reversed(history), key=lambda e: e.get("timestamp") or 0)


def assigned_events(task: Mapping) -> list[Mapping]:
    """The task's ``assigned`` events, newest first (as the hub lists them)."""
    return [e for e in task.get("history") or [] if e.get("event") == "assigned"]


def last_assignee(task: Mapping) -> str | None:
    """The agent of the task's latest assignment (the one that completed it, if completed)."""
    events = assigned_events(task)
    if events and isinstance(events[0].get("details"), Mapping):
        return events[0]["details"].get("agent_id")
    return task.get("assigned_to")


def first_assignee(task: Mapping) -> str | None:
    """The agent of the task's first assignment."""
    events = assigned_events(task)
    details = events[-1].get("details") if events else None
    return details.get("agent_id") if isinstance(details, Mapping) else task.get("assigned_to")


def first_assigned_at(task: Mapping) -> int | None:
    """When the task was first assigned: its oldest ``assigned`` event, else ``assigned_at``."""
    events = assigned_events(task)
    if events:
        return min(int(e.get("timestamp") or 0) for e in events)
    return task.get("assigned_at")


def describe_event(event: Mapping, names: Mapping[str, str]) -> str:
    """``assigned to victim``, ``reclaimed``, ``completed``, ..."""
    name = str(event.get("event"))
    details = event.get("details")
    if name == "assigned" and isinstance(details, Mapping):
        return f"assigned to {short_agent(details.get('agent_id'), names)}"
    return name


def describe_history(task: Mapping, names: Mapping[str, str]) -> list[str]:
    """The task's events, oldest first, as :func:`describe_event` writes them."""
    return [describe_event(e, names) for e in history_oldest_first(task)]


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An aligned plain-text table."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in col) for col in zip(header, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


def task_table(
    tasks: Mapping[str, Mapping | None], names: Mapping[str, str], limit: int = MAX_ROWS
) -> str:
    """One row per task: status, priority, agent, generation and its last events.

    ``tasks`` maps a task id to its hub record, or None when the hub does not know it.
    """
    rows = []
    for task_id, task in list(tasks.items())[:limit]:
        if task is None:
            rows.append([task_id, "NOT FOUND", "-", "-", "-", "(the hub has no such task)"])
            continue
        events = describe_history(task, names)
        shown = ", ".join(events[-LAST_EVENTS:])
        if len(events) > LAST_EVENTS:
            shown = "..., " + shown
        rows.append(
            [
                task_id,
                task.get("status"),
                priority_name(task.get("priority")),
                short_agent(task.get("assigned_to"), names),
                task.get("generation"),
                shown,
            ]
        )
    text = table(["task", "status", "priority", "agent", "gen", "last events"], rows)
    if len(tasks) > limit:
        text += f"\n... and {len(tasks) - limit} more tasks"
    return text


def id_list(ids: Iterable[str], limit: int = 10) -> str:
    """``a, b, c`` capped at ``limit`` items, with the count of the rest."""
    items = list(ids)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text or "none"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
