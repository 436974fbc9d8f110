"""The hub's task record, parsed once into a small typed model that everything else reads.

``GET /api/tasks/:id`` answers a TASK object whose ``history`` is newest first and capped at
50 entries (see the wire contract). :meth:`TaskRecord.parse` turns that JSON into a
:class:`TaskRecord` whose events are **oldest first**; the questions the library asks of a task
("who holds it", "who completed it", "when was it first assigned") are answered here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..util.choices import Priority

HISTORY_CAP = 50  # the contract caps a task's history at this many entries

QUEUED = "queued"
ASSIGNED = "assigned"
COMPLETED = "completed"
DEAD_LETTER = "dead_letter"
# events after which a task waits for another assignment: the recovery time counts from them
RECOVERY_STARTS = frozenset({"reclaimed", "retry", DEAD_LETTER})


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class TaskEvent:
    """One entry of a task's history.

    ``agent_id`` and ``generation`` are set for ``assigned`` events (from ``details``);
    ``details`` keeps whatever the hub wrote (a string or an object).
    """

    event: str
    timestamp: int | None
    details: object = None
    agent_id: str | None = None
    generation: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TaskEvent:
        details = raw.get("details")
        agent_id = generation = None
        if isinstance(details, Mapping):
            agent = details.get("agent_id")
            agent_id = None if agent is None else str(agent)
            generation = _int(details.get("generation"))
        return cls(
            event=str(raw.get("event")),
            timestamp=_int(raw.get("timestamp")),
            details=details,
            agent_id=agent_id,
            generation=generation,
        )

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """``assigned to victim``, ``reclaimed``, ``completed``, ..."""
        if self.event == ASSIGNED and self.agent_id:
            return f"assigned to {(names or {}).get(self.agent_id, self.agent_id)}"
        return self.event

    @property
    def tokens_used(self) -> int | None:
        """The ``tokens_used`` of a ``completed`` event's details, if any."""
        return _int(self.details.get("tokens_used")) if isinstance(self.details, Mapping) else None


@dataclass(frozen=True)
class TaskRecord:
    """A hub task as the library reads it. ``raw`` keeps the JSON exactly as received."""

    id: str
    description: str
    status: str
    priority: int | None
    assigned_to: str | None
    assigned_at: int | None
    generation: int | None
    retry_count: int | None
    max_retries: int | None
    needed_capabilities: tuple[str, ...]
    last_error: object
    result: object
    tokens_used: int | None
    created_at: int | None
    updated_at: int | None
    metadata: Mapping[str, Any]
    submitted_by: str | None
    events: tuple[TaskEvent, ...]  # oldest first
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | TaskRecord) -> TaskRecord:
        """Parse a TASK object (missing or odd fields are tolerated, never guessed); a
        :class:`TaskRecord` is returned as it is."""
        if isinstance(raw, TaskRecord):
            return raw
        history = [e for e in raw.get("history") or [] if isinstance(e, Mapping)]
        metadata = raw.get("metadata")
        caps = raw.get("needed_capabilities")
        assigned_to = raw.get("assigned_to")
        return cls(
            id=str(raw.get("id") or raw.get("task_id") or "?"),
            description=str(raw.get("description") or ""),
            status=str(raw.get("status") or "unknown"),
            priority=_int(raw.get("priority")),
            assigned_to=None if not assigned_to else str(assigned_to),
            assigned_at=_int(raw.get("assigned_at")),
            generation=_int(raw.get("generation")),
            retry_count=_int(raw.get("retry_count")),
            max_retries=_int(raw.get("max_retries")),
            needed_capabilities=tuple(str(c) for c in caps) if isinstance(caps, list) else (),
            last_error=raw.get("last_error"),
            result=raw.get("result"),
            tokens_used=_int(raw.get("tokens_used")),
            created_at=_int(raw.get("created_at")),
            updated_at=_int(raw.get("updated_at")),
            metadata=metadata if isinstance(metadata, Mapping) else {},
            submitted_by=None if raw.get("submitted_by") is None else str(raw["submitted_by"]),
            # the wire order is newest first; reversing keeps the hub's own order of
            # events that share a millisecond
            events=tuple(TaskEvent.parse(e) for e in reversed(history)),
            raw=raw,
        )

    # -- status ----------------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def dead_lettered(self) -> bool:
        return self.status == DEAD_LETTER

    @property
    def finished(self) -> bool:
        """Completed or dead-lettered: nothing more will happen to it by itself."""
        return self.status in (COMPLETED, DEAD_LETTER)

    @property
    def priority_name(self) -> str:
        """``urgent``/``high``/``normal``/``low`` (an unknown value as it is)."""
        return Priority.name_of(self.priority)

    @property
    def history_truncated(self) -> bool:
        """True when the hub may have dropped older events (history at its cap)."""
        return len(self.events) >= HISTORY_CAP

    @property
    def run_id(self) -> str | None:
        """The ``smoke_run`` the library writes in the metadata of its tasks."""
        run = self.metadata.get("smoke_run")
        return None if run is None else str(run)

    # -- history ---------------------------------------------------------------------------

    def events_named(self, name: str) -> list[TaskEvent]:
        return [e for e in self.events if e.event == name]

    def count(self, name: str) -> int:
        """How many events of this name the hub still keeps."""
        return sum(1 for e in self.events if e.event == name)

    @property
    def assignments(self) -> list[TaskEvent]:
        """The ``assigned`` events, oldest first."""
        return self.events_named(ASSIGNED)

    @property
    def first_assignee(self) -> str | None:
        """The agent of the oldest assignment the history keeps."""
        events = self.assignments
        return events[0].agent_id if events else self.assigned_to

    @property
    def last_assignee(self) -> str | None:
        """The agent of the latest assignment: the one holding the task, or the one that
        completed it. ``assigned_to`` wins when set (the hub's own word on who holds it)."""
        if self.assigned_to:
            return self.assigned_to
        events = self.assignments
        return events[-1].agent_id if events else None

    @property
    def completed_by(self) -> str | None:
        """The agent whose completion the hub accepted, or None when not completed."""
        return self.last_assignee if self.completed else None

    @property
    def first_assigned_at(self) -> int | None:
        """When the task was first assigned (None if the history was cut at its cap)."""
        events = self.assignments
        if events and not self.history_truncated:
            return events[0].timestamp
        return None if self.history_truncated else self.assigned_at

    @property
    def last_assigned_at(self) -> int | None:
        events = self.assignments
        return self.assigned_at or (events[-1].timestamp if events else None)

    @property
    def first_latency_ms(self) -> int | None:
        """First assignment minus creation, in ms."""
        first = self.first_assigned_at
        return None if first is None or self.created_at is None else first - self.created_at

    @property
    def last_latency_ms(self) -> int | None:
        """Latest assignment minus creation, in ms (includes reclaims and retries)."""
        last = self.last_assigned_at
        return None if last is None or self.created_at is None else last - self.created_at

    @property
    def recoveries_ms(self) -> list[int]:
        """How long the task waited for its next assignment after each time it was taken
        back (``reclaimed``), requeued after a failure (``retry``) or dead-lettered, in ms;
        a take-back not followed by an assignment (yet) is not counted."""
        waits, since = [], None
        for event in self.events:
            if event.timestamp is None:
                continue
            if event.event in RECOVERY_STARTS and since is None:
                since = event.timestamp
            elif event.event == ASSIGNED and since is not None:
                waits.append(event.timestamp - since)
                since = None
        return waits

    def describe_history(self, names: Mapping[str, str] | None = None) -> list[str]:
        """The events oldest first: ``queued``, ``assigned to victim``, ``completed``..."""
        return [e.describe(names) for e in self.events]
