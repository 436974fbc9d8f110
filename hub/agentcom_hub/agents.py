"""Connected agents: one state record each (idle -> assigned -> working -> idle, blocked).

The registry also keeps the idle agents in the order they became idle, so the scheduler
can prefer the one idle longest (or, with ``unfair-agent-choice``, the one that connected
first).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from .tasks import now_ms

IDLE, ASSIGNED, WORKING, BLOCKED = "idle", "assigned", "working", "blocked"
_connection_numbers = itertools.count(1)


@dataclass(slots=True)
class AgentRecord:
    """The hub's view of one connected agent."""

    agent_id: str
    name: str
    status: str
    capabilities: list[str]
    connected_at: int
    last_state_change: int
    fsm_state: str = IDLE
    current_task_id: str | None = None
    current_generation: int = 0
    flags: list[str] = field(default_factory=list)
    number: int = field(default_factory=lambda: next(_connection_numbers))
    caps: frozenset[str] = frozenset()

    def public(self) -> dict:
        """An entry of GET /api/agents."""
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "status": self.status,
            "capabilities": self.capabilities,
            "connected_at": self.connected_at,
            "fsm_state": self.fsm_state,
        }

    def presence(self) -> dict:
        """The ``agent`` of an ``agent_joined`` push: the listing's entry without the state."""
        entry = self.public()
        del entry["fsm_state"]
        return entry

    def state(self, with_change: bool = False) -> dict:
        """An entry of GET /api/agents/states (``with_change``: plus last_state_change)."""
        out = {
            "agent_id": self.agent_id,
            "fsm_state": self.fsm_state,
            "current_task_id": self.current_task_id,
            "capabilities": [{"name": c} for c in self.capabilities],
            "flags": list(self.flags),
            "connected_at": self.connected_at,
            "name": self.name,
        }
        if with_change:
            out["last_state_change"] = self.last_state_change
        return out


class AgentRegistry:
    """State records of connected agents, by agent_id."""

    def __init__(self, unfair: bool = False, clock: Callable[[], int] = now_ms) -> None:
        self.unfair = unfair
        self.clock = clock
        self.agents: dict[str, AgentRecord] = {}
        self._idle: dict[str, None] = {}  # insertion order = became idle first

    def __len__(self) -> int:
        return len(self.agents)

    def get(self, agent_id: object) -> AgentRecord | None:
        """The record of a connected agent, or None."""
        return self.agents.get(agent_id) if isinstance(agent_id, str) else None

    def join(self, agent_id: str, name: str, status: str, capabilities: list[str]) -> AgentRecord:
        """A new idle record (replacing any record of the same agent_id)."""
        self.leave(agent_id)
        now = self.clock()
        record = AgentRecord(
            agent_id=agent_id,
            name=name,
            status=status,
            capabilities=list(capabilities),
            connected_at=now,
            last_state_change=now,
            caps=frozenset(capabilities),
        )
        self.agents[agent_id] = record
        self._idle[agent_id] = None
        return record

    def leave(self, agent_id: str) -> AgentRecord | None:
        """Forget a record; returns it (None if unknown)."""
        self._idle.pop(agent_id, None)
        return self.agents.pop(agent_id, None)

    def _set(self, record: AgentRecord, state: str) -> None:
        if state == IDLE:
            self._idle.pop(record.agent_id, None)
            self._idle[record.agent_id] = None
            record.current_task_id = None
            record.current_generation = 0
        else:
            self._idle.pop(record.agent_id, None)
        record.fsm_state = state
        record.last_state_change = self.clock()

    def assign(self, agent_id: str, task_id: str, generation: int) -> None:
        """A task was pushed to the agent: ``assigned``."""
        record = self.agents[agent_id]
        self._set(record, ASSIGNED)
        record.current_task_id = task_id
        record.current_generation = generation

    def accept(self, agent_id: str, task_id: object) -> bool:
        """``task_accepted`` for its current task: ``working``. False if it did not apply."""
        record = self.agents.get(agent_id)
        if record is None or record.fsm_state != ASSIGNED or record.current_task_id != task_id:
            return False
        self._set(record, WORKING)
        return True

    def finish(self, agent_id: str | None, task_id: str) -> bool:
        """An acknowledged completion/failure of the agent's current task: back to idle,
        but only from ``working`` (an agent that never accepted stays ``assigned`` until
        its acceptance timeout, as in the original)."""
        record = self.agents.get(agent_id) if agent_id else None
        if record is None or record.fsm_state != WORKING or record.current_task_id != task_id:
            return False
        self._set(record, IDLE)
        return True

    def release(self, agent_id: str, flag: str | None = None) -> bool:
        """Back to idle whatever the state (task reclaimed); optionally add a flag."""
        record = self.agents.get(agent_id)
        if record is None:
            return False
        if flag and flag not in record.flags:
            record.flags.append(flag)
        if record.fsm_state != IDLE:
            self._set(record, IDLE)
        return True

    def to_front(self, agent_id: str) -> None:
        """Make an idle agent the first in line (used by the ``assign-disconnected`` fault)."""
        if agent_id in self._idle:
            self._idle = {agent_id: None, **{a: None for a in self._idle if a != agent_id}}

    def idle(self) -> list[tuple[str, frozenset[str]]]:
        """(agent_id, capabilities) of idle agents, preferred first: idle longest, or
        connected first under ``unfair-agent-choice``."""
        records = [self.agents[a] for a in self._idle]
        if self.unfair:  # Fault.UNFAIR_AGENT_CHOICE
            records.sort(key=lambda r: r.number)
        return [(r.agent_id, r.caps) for r in records]

    def has_idle(self) -> bool:
        """True when at least one agent is idle."""
        return bool(self._idle)

    def listing(self) -> list[AgentRecord]:
        """All records, connected first."""
        return sorted(self.agents.values(), key=lambda r: r.number)
