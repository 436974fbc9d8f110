"""An agent's journal: what it received, sent and had acknowledged, and the queries the
keywords ask of it. Shared by the local :class:`~.simulated.SimulatedAgent` and the
:class:`~AgentComLibrary.pool.remote_agent.RemoteAgent` of an agent pool."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..observe.history import journal_mark

# -- entries -------------------------------------------------------------------------------


@dataclass
class Received:
    task_id: str
    generation: int | None
    assigned_at: int | None
    received_at: int
    description: str = ""
    metadata: dict = field(default_factory=dict)
    seq: int = field(default_factory=journal_mark)


@dataclass
class SentReport:
    kind: str  # task_accepted, task_complete, task_failed, ...
    task_id: str
    generation: int | None
    sent_at: int
    seq: int = field(default_factory=journal_mark)


@dataclass
class Ack:
    task_id: str
    status: str  # accepted, complete, retried, dead_letter
    at: int
    seq: int = field(default_factory=journal_mark)


@dataclass
class Rejection:
    task_id: str | None
    report: str | None  # the kind of report it answered
    reason: str  # stale_generation, invalid_state, not_found, ...
    error: str  # the hub's whole error string
    at: int
    seq: int = field(default_factory=journal_mark)


# -- queries -------------------------------------------------------------------------------


class Journal:
    """The journal lists behind one re-entrant lock (queries may run inside ``wait_for``
    predicates). ``_refresh`` brings the lists up to date before a query: nothing to do
    for a local agent; a remote one fetches what its pool recorded."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.received: list[Received] = []
        self.foreign: list[Received] = []
        self.reports: list[SentReport] = []
        self.acks: list[Ack] = []
        self.rejections: list[Rejection] = []

    def _refresh(self) -> None:
        """Bring the journal up to date (a local agent's always is)."""

    def flush_history(self) -> None:
        """Bring the test's history up to date with this agent's frames (a local agent
        records them as they happen)."""

    def completed_ids(self, since: int = 0) -> list[str]:
        """Task ids whose completion the hub acknowledged (``task_ack`` complete)."""
        self._refresh()
        with self._lock:
            return [a.task_id for a in self.acks if a.status == "complete" and a.seq > since]

    def reported_complete_ids(self, since: int = 0) -> list[str]:
        """Task ids this agent sent ``task_complete`` for, answered or not."""
        self._refresh()
        with self._lock:
            return [r.task_id for r in self.reports if r.kind == "task_complete" and r.seq > since]

    def received_ids(self, since: int = 0) -> list[str]:
        self._refresh()
        with self._lock:
            return [r.task_id for r in self.received if r.seq > since]

    def received_tasks(self, since: int = 0) -> list[Received]:
        self._refresh()
        with self._lock:
            return [r for r in self.received if r.seq > since]

    def foreign_tasks(self, since: int = 0) -> list[dict]:
        self._refresh()
        with self._lock:
            return [
                {"task_id": r.task_id, "description": r.description, "metadata": r.metadata}
                for r in self.foreign
                if r.seq > since
            ]

    def rejections_for(self, task_id: str, since: int = 0) -> list[Rejection]:
        self._refresh()
        with self._lock:
            return [r for r in self.rejections if r.task_id == task_id and r.seq > since]

    def acks_for(self, task_id: str) -> list[Ack]:
        self._refresh()
        with self._lock:
            return [a for a in self.acks if a.task_id == task_id]

    def last_assignment(self, task_id: str) -> Received | None:
        self._refresh()
        with self._lock:
            return next((r for r in reversed(self.received) if r.task_id == task_id), None)
