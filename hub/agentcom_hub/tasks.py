"""The task queue: lifecycle, generation fencing, retries, dead letter, reclaim, history.

Queued and assigned tasks live in memory (by id) and in the store; finished ones
(completed, dead letter) only in the store. Every change is written to the store before
the method returns, so callers may announce it at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .scheduler import QueueIndex
from .store import Store

PRIORITIES = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
HISTORY_CAP = 50
QUEUED, ASSIGNED, COMPLETED, DEAD_LETTER = "queued", "assigned", "completed", "dead_letter"
ACTIVE = (QUEUED, ASSIGNED)


def now_ms() -> int:
    """Unix time in integer milliseconds."""
    return time.time_ns() // 1_000_000


def new_task_id(now: int, seq: int) -> str:
    """``task-<16 hex>``: the millisecond clock (11 hex digits) then the low 20 bits of the
    task's sequence number, so ids are unique and time-ordered and new rows append to the
    primary-key index instead of landing on random pages."""
    return f"task-{now & 0xFFFFFFFFFFF:011x}{seq & 0xFFFFF:05x}"


def priority_of(name: object) -> int:
    """Integer priority of a priority name; any unknown name counts as normal (2)."""
    return PRIORITIES.get(name, 2) if isinstance(name, str) else 2


def as_generation(value: object) -> int:
    """A reported generation: a real integer, else 0 (which is always stale)."""
    return value if type(value) is int else 0


class TaskError(Exception):
    """A rejected report or request; ``reason`` is the wire word (e.g. stale_generation)."""

    def __init__(self, reason: str, task_id: str, expected: int | None = None) -> None:
        detail = f" (current generation {expected})" if expected is not None else ""
        super().__init__(f"{reason} for task {task_id}{detail}")
        self.reason = reason
        self.task_id = task_id
        self.expected = expected


@dataclass(slots=True)
class Task:
    """One task; ``to_dict`` is the TASK object of the wire contract."""

    id: str
    description: str
    metadata: dict
    priority: int
    submitted_by: str
    created_at: int
    updated_at: int
    max_retries: int = 3
    complete_by: int | None = None
    needed_capabilities: list[str] = field(default_factory=list)
    status: str = QUEUED
    assigned_to: str | None = None
    assigned_at: int | None = None
    generation: int = 0
    retry_count: int = 0
    last_error: Any = None
    result: Any = None
    tokens_used: Any = None
    history: list[dict] = field(default_factory=list)
    seq: int = 0

    def record(self, event: str, timestamp: int, details: Any, newest_first: bool = True) -> None:
        """Prepend a history entry (newest first), keeping at most HISTORY_CAP.

        ``newest_first=False`` is the ``history-misorder`` fault: appended, capped by
        dropping the newest."""
        entry = {"event": event, "timestamp": timestamp, "details": details}
        if newest_first:
            self.history.insert(0, entry)
        else:  # Fault.HISTORY_MISORDER
            self.history.append(entry)
        del self.history[HISTORY_CAP:]

    def caps(self) -> frozenset[str]:
        """The needed capabilities as a set."""
        return frozenset(self.needed_capabilities)

    def to_dict(self) -> dict:
        """The TASK object exactly as GET /api/tasks/:id returns it."""
        return {
            "id": self.id,
            "description": self.description,
            "metadata": self.metadata,
            "priority": self.priority,
            "status": self.status,
            "assigned_to": self.assigned_to,
            "assigned_at": self.assigned_at,
            "generation": self.generation,
            "retry_count": self.retry_count,
            "max_retries": self.max_retries,
            "needed_capabilities": self.needed_capabilities,
            "last_error": self.last_error,
            "complete_by": self.complete_by,
            "result": self.result,
            "tokens_used": self.tokens_used,
            "submitted_by": self.submitted_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "history": self.history,
        }

    @classmethod
    def from_dict(cls, row: dict, seq: int) -> Task:
        """Rebuild a task from its stored TASK object."""
        fields = {k: row[k] for k in cls.__slots__ if k in row and k != "seq"}  # type: ignore[attr-defined]
        return cls(seq=seq, **fields)


class TaskQueue:
    """All task rules. ``fencing=False`` is the ``no-generation-fencing`` fault."""

    def __init__(
        self,
        store: Store,
        index: QueueIndex,
        fencing: bool = True,
        clock: Callable[[], int] = now_ms,
        newest_first: bool = True,
        fail_fencing: bool = True,
    ) -> None:
        self.store = store
        self.index = index
        self.fencing = fencing
        self.fail_fencing = fail_fencing  # False: Fault.NO_FAIL_FENCING
        self.newest_first = newest_first  # False: Fault.HISTORY_MISORDER
        self.clock = clock
        self.active: dict[str, Task] = {}
        self.assigned: dict[str, Task] = {}
        self.by_status: dict[str, int] = {}
        self.by_priority: dict[int, int] = {}
        self.dead_letter_count = 0
        self._seq = store.max_seq()
        for status, priority, count in store.counts():
            if status == DEAD_LETTER:
                self.dead_letter_count += count
            else:
                self.by_status[status] = self.by_status.get(status, 0) + count
                self.by_priority[priority] = self.by_priority.get(priority, 0) + count
        for seq, row in store.iter_tasks(ACTIVE):
            task = Task.from_dict(row, seq)
            self.active[task.id] = task
            if task.status == QUEUED:
                self._enqueue(task)
            else:
                self.assigned[task.id] = task

    # -- helpers -------------------------------------------------------------------------

    def _enqueue(self, task: Task) -> None:
        self.index.push(task.id, task.priority, task.created_at, task.seq, task.caps())

    def _move(self, task: Task, status: str) -> None:
        """Change status and keep the counters right."""
        old = task.status
        task.status = status
        for name, delta in ((old, -1), (status, 1)):
            if name == DEAD_LETTER:
                self.dead_letter_count += delta
            else:
                self.by_status[name] = self.by_status.get(name, 0) + delta
        if DEAD_LETTER in (old, status) and old != status:
            delta = 1 if old == DEAD_LETTER else -1
            self.by_priority[task.priority] = self.by_priority.get(task.priority, 0) + delta
        if old == ASSIGNED:
            self.assigned.pop(task.id, None)
        if status == ASSIGNED:
            self.assigned[task.id] = task
        if status in ACTIVE:
            self.active[task.id] = task
        else:
            self.active.pop(task.id, None)

    def _requeue(self, task: Task, now: int) -> None:
        task.assigned_to = None
        task.assigned_at = None
        task.generation += 1
        task.updated_at = now
        self._move(task, QUEUED)

    def _load(self, task_id: object) -> Task | None:
        if not isinstance(task_id, str):  # a non-string id names no task
            return None
        task = self.active.get(task_id)
        if task is not None:
            return task
        try:
            found = self.store.task_row(task_id)
        except UnicodeEncodeError:  # lone surrogates: cannot be a stored id
            return None
        if found is None:
            return None
        return Task.from_dict(json.loads(found[1]), found[0])

    def _fenced(self, task_id: object, generation: object, fenced: bool = True) -> Task:
        """The assigned task a completion/failure report may change, or TaskError."""
        task = self.active.get(task_id) if isinstance(task_id, str) else None
        if task is None:
            if self._load(task_id) is None:
                raise TaskError("not_found", str(task_id))
            raise TaskError("invalid_state", str(task_id))
        if task.status != ASSIGNED:
            raise TaskError("invalid_state", task.id)
        if fenced and self.fencing and as_generation(generation) != task.generation:
            raise TaskError("stale_generation", task.id, expected=task.generation)
        # Fault.NO_GENERATION_FENCING: fencing=False skips the check above.
        return task

    # -- operations ----------------------------------------------------------------------

    def submit(
        self,
        description: str,
        priority: int = 2,
        metadata: dict | None = None,
        max_retries: int = 3,
        complete_by: int | None = None,
        needed_capabilities: list[str] | None = None,
        submitted_by: str = "unknown",
    ) -> Task:
        """Queue a new task (history ``queued`` / ``submitted``)."""
        now = self.clock()
        self._seq += 1
        task = Task(
            id=new_task_id(now, self._seq),
            description=description,
            metadata={} if metadata is None else metadata,
            priority=priority,
            submitted_by=submitted_by,
            created_at=now,
            updated_at=now,
            max_retries=max_retries,
            complete_by=complete_by,
            needed_capabilities=list(needed_capabilities or []),
            seq=self._seq,
        )
        task.record("queued", now, "submitted", self.newest_first)
        self.store.insert_task(task.to_dict(), task.seq)
        self.active[task.id] = task
        self.by_status[QUEUED] = self.by_status.get(QUEUED, 0) + 1
        self.by_priority[priority] = self.by_priority.get(priority, 0) + 1
        self._enqueue(task)
        return task

    def assign(self, task_id: str, agent_id: str) -> Task:
        """Assign a queued task (already popped from the index): generation + 1."""
        task = self.active.get(task_id)
        if task is None or task.status != QUEUED:
            raise TaskError("invalid_state", task_id)
        now = self.clock()
        task.generation += 1
        task.assigned_to = agent_id
        task.assigned_at = now
        task.updated_at = now
        self._move(task, ASSIGNED)
        task.record(
            "assigned",
            now,
            {"agent_id": agent_id, "generation": task.generation},
            self.newest_first,
        )
        self.store.update_task(task.to_dict())
        return task

    def touch(self, task_id: object) -> Task | None:
        """Refresh ``updated_at`` of an assigned task (accepted / progress)."""
        task = self.assigned.get(task_id) if isinstance(task_id, str) else None
        if task is None:
            return None
        task.updated_at = self.clock()
        self.store.update_task_body(task.to_dict())
        return task

    def complete(self, task_id: object, generation: object, result: Any, tokens_used: Any) -> Task:
        """Accept a completion report, or raise TaskError (not_found / invalid_state /
        stale_generation) and change nothing."""
        task = self._fenced(task_id, generation)
        now = self.clock()
        task.result = result
        task.tokens_used = tokens_used
        task.updated_at = now
        self._move(task, COMPLETED)
        task.record("completed", now, {"tokens_used": tokens_used}, self.newest_first)
        self.store.update_task(task.to_dict())
        return task

    def fail(self, task_id: object, generation: object, error: Any) -> tuple[str, Task]:
        """Accept a failure report: ("retried", task) or ("dead_letter", task)."""
        # Fault.NO_FAIL_FENCING: fail_fencing=False skips the generation check
        task = self._fenced(task_id, generation, fenced=self.fail_fencing)
        now = self.clock()
        task.retry_count += 1
        task.last_error = error
        if task.retry_count >= task.max_retries:
            # Like the original: the dead-letter record keeps assigned_to / generation.
            task.updated_at = now
            self._move(task, DEAD_LETTER)
            task.record("dead_letter", now, error, self.newest_first)
            outcome = "dead_letter"
        else:
            self._requeue(task, now)
            task.record("retry", now, error, self.newest_first)
            self._enqueue(task)
            outcome = "retried"
        self.store.update_task(task.to_dict())
        return outcome, task

    def reclaim(self, task_id: str, reason: str = "agent_disconnect") -> Task | None:
        """Take an assigned task back (history ``reclaimed``); None if not assigned."""
        task = self.assigned.get(task_id)
        if task is None:
            return None
        self._requeue(task, self.clock())
        task.record("reclaimed", task.updated_at, reason, self.newest_first)
        self.store.update_task(task.to_dict())
        self._enqueue(task)
        return task

    def retry_dead_letter(self, task_id: str) -> Task:
        """Move a dead-letter task back to the queue (retry_count 0, generation + 1)."""
        task = self._load(task_id) if task_id not in self.active else None
        if task is None or task.status != DEAD_LETTER:
            raise TaskError("task_not_found", str(task_id))
        now = self.clock()
        task.retry_count = 0
        task.last_error = None
        self._requeue(task, now)
        task.record("queued", now, "retried from dead-letter", self.newest_first)
        self.store.update_task(task.to_dict())
        self._enqueue(task)
        return task

    def recovering(self, task_id: object) -> Task | None:
        """The task if it is still assigned (task_continue), else None (task_reassign)."""
        return self.assigned.get(task_id) if isinstance(task_id, str) else None

    def get(self, task_id: object) -> Task | None:
        """Any task by id, active or finished."""
        return self._load(task_id)

    def stuck(self, threshold_ms: int) -> list[Task]:
        """Assigned tasks not updated for longer than ``threshold_ms``."""
        limit = self.clock() - threshold_ms
        return [t for t in self.assigned.values() if t.updated_at < limit]

    def overdue(self) -> list[Task]:
        """Assigned tasks whose ``complete_by`` has passed."""
        now = self.clock()
        return [
            t for t in self.assigned.values() if type(t.complete_by) is int and t.complete_by < now
        ]

    def stats(self) -> dict:
        """The body of GET /api/tasks/stats."""
        return {
            "by_status": {k: v for k, v in self.by_status.items() if v},
            "by_priority": {str(k): v for k, v in sorted(self.by_priority.items()) if v},
            "dead_letter": self.dead_letter_count,
            "queued_index_size": len(self.index),
        }
