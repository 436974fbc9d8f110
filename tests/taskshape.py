"""The TASK object of the contract, as tests expect it: its fields and a fresh task's values."""

from __future__ import annotations

from typing import Any

TASK_FIELDS = frozenset(
    {
        "id",
        "description",
        "metadata",
        "priority",
        "status",
        "assigned_to",
        "assigned_at",
        "generation",
        "retry_count",
        "max_retries",
        "needed_capabilities",
        "last_error",
        "complete_by",
        "result",
        "tokens_used",
        "submitted_by",
        "created_at",
        "updated_at",
        "history",
    }
)

FRESH_TASK: dict[str, Any] = {
    "priority": 2,
    "status": "queued",
    "assigned_to": None,
    "assigned_at": None,
    "generation": 0,
    "retry_count": 0,
    "max_retries": 3,
    "last_error": None,
    "complete_by": None,
    "result": None,
    "tokens_used": None,
}
"""What a task submitted with the defaults holds before any agent touches it."""


def parse_story(text: str) -> list[tuple[str, int, str | None, int | None, str | None]]:
    """A task history written as words, oldest first, as ``(event, ms, agent, generation,
    details)``: ``event@ms``, with ``:agent`` or ``:agent/generation`` for an assignment and
    ``=details`` for the details of another event, e.g.
    ``"queued@5 assigned@9:victim reclaimed@400=agent_disconnect assigned@410:rescuer/2"``."""
    steps = []
    for word in text.split():
        head, _, details = word.partition("=")
        head, _, holder = head.partition(":")
        event, _, stamp = head.partition("@")
        agent, _, gen = holder.partition("/")
        steps.append((event, int(stamp), agent or None, int(gen) if gen else None, details or None))
    return steps
