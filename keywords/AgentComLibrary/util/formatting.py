"""Plain-text renderings of hub records for failure messages and logs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..hubapi.task_record import TaskRecord

MAX_ROWS = 25
LAST_EVENTS = 6


def short_agent(agent_id: str | None, names: Mapping[str, str]) -> str:
    """The short name a test uses for an agent, else the hub's agent id, ``-`` for none."""
    if not agent_id:
        return "-"
    return names.get(agent_id, agent_id)


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An aligned plain-text table."""
    body = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in col) for col in zip(header, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


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


def id_list(ids: Iterable[str], limit: int = 10) -> str:
    """``a, b, c`` capped at ``limit`` items, with the count of the rest."""
    items = list(ids)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text or "none"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def verb(count: int, singular: str) -> str:
    """``is``/``was`` agreeing with ``count`` (``are``/``were`` unless it is 1)."""
    return singular if count == 1 else {"is": "are", "was": "were"}[singular]


def status_word(status: object) -> str:
    """``dead_letter`` -> ``dead letter``."""
    return str(status).replace("_", " ")


def known_names(names: Iterable[str]) -> str:
    """``a, b`` sorted, or ``none``: what exists, for a "no such name" failure."""
    return ", ".join(sorted(names)) or "none"
