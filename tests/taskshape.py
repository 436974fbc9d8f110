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
