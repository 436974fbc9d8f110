"""Derived views of one history, built once and read by every rule (pure, Robot-free).

- connections: per agent or probe connection, its events, the agent id the hub identified
  it as, the capabilities it declared, and the event that ended it;
- reports paired with the hub's answers, per connection, in the hub's processing order
  (the hub answers one connection's frames in the order they were sent);
- the hub's final records (``TaskRecord``) and agent states;
- bounds on the offset between the hub's clock and ours, from messages that carry a hub
  timestamp, so that "our event happened before that hub event" is claimed only when the
  history proves it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..hubapi.task_record import TaskEvent, TaskRecord
from ..hubapi.timers import HubTimers
from .events import CONN, CONN_ENDS, HTTP, HUB, IN, MARK, OUT, Event

REPLY_TYPES = frozenset(
    {"identified", "error", "task_ack", "pong", "task_continue", "task_reassign"}
)
ACK_KIND = {
    "accepted": "task_accepted",
    "complete": "task_complete",
    "retried": "task_failed",
    "dead_letter": "task_failed",
    "failed": "task_failed",  # a sidecar log's ack of a failure, before it is resolved
}
ERROR_KIND = {"task_complete_failed": "task_complete", "task_fail_failed": "task_failed"}
REPLY_KIND = {
    "identified": "identify",
    "pong": "ping",
    "task_continue": "task_recovering",
    "task_reassign": "task_recovering",
}
RELEASING_ACKS = frozenset({"complete", "retried", "dead_letter"})

# marker and hub event types written by the collector
SNAPSHOT = "snapshot"
TASK = "task"
TASK_MISSING = "task_missing"
STATES = "states"


@runtime_checkable
class Recorded(Protocol):
    """A recorded history as the checker reads it (``observe.history.History``)."""

    name: str
    started_mono_ns: int
    started_wall_ms: int

    def events(self) -> list[Event]: ...


@dataclass
class Exchange:
    """A frame an agent sent that the hub answers, and the answer (None: none yet)."""

    frame: Event
    answer: Event | None = None


@dataclass
class ObservedConnection:
    """One WebSocket connection of an agent or a probe."""

    number: int
    actor: str
    events: list[Event] = field(default_factory=list)
    agent_id: str | None = None
    identified: Event | None = None
    capabilities: tuple[str, ...] | None = None
    end: Event | None = None
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def open_at_end(self) -> bool:
        return self.end is None

    def received(self, kind: str) -> list[Event]:
        """The frames of that type the hub sent on this connection (indexed on first use;
        rebuilt when events were added since)."""
        index = self.__dict__.get("_received")
        if index is None or index[0] != len(self.events):
            by_kind: dict[str, list[Event]] = {}
            for e in self.events:
                if e.direction == IN:
                    by_kind.setdefault(e.type, []).append(e)
            index = self.__dict__["_received"] = (len(self.events), by_kind)
        return list(index[1].get(kind, ()))

    def unanswered(self) -> list[Exchange]:
        return [x for x in self.exchanges if x.answer is None]


@dataclass(frozen=True)
class Clock:
    """``hub_ms - our_wall_ms`` lies in [lo, hi] (infinite when nothing bounds it)."""

    lo: float = -math.inf
    hi: float = math.inf

    def surely_before(self, wall_ms: int, hub_ms: int) -> bool:
        """Our event at ``wall_ms`` happened before the hub's event stamped ``hub_ms``."""
        return wall_ms + 1 < hub_ms - self.hi

    def maybe_before(self, wall_ms: int, hub_ms: int) -> bool:
        """Our event at ``wall_ms`` may have happened before the hub event ``hub_ms``."""
        return wall_ms <= hub_ms - self.lo + 1

    def hub_wall(self, hub_ms: int) -> float | None:
        """Our best estimate of a hub time on our wall clock (None when unbounded)."""
        if math.isinf(self.lo) or math.isinf(self.hi):
            return float(hub_ms) if math.isinf(self.lo) and math.isinf(self.hi) else None
        return hub_ms - (self.lo + self.hi) / 2


@dataclass
class View:
    """Everything the rules read."""

    history_name: str
    started_mono_ns: int
    started_wall_ms: int
    events: list[Event]
    connections: dict[int, ObservedConnection]
    tasks: dict[str, TaskRecord]
    missing_tasks: dict[str, Event]
    task_events: dict[str, Event]  # task id -> the hub event that carried its record
    states_before: list[dict] | None
    states_after: list[dict] | None
    states_event: Event | None
    snapshot_seq: int | None  # the collector's marker; agent events after it are late
    clock: Clock
    names: dict[str, str]  # agent id -> short name
    timers: HubTimers = field(default_factory=HubTimers)  # the hub's (default: the contract's)

    @property
    def stuck_threshold_ms(self) -> float:
        """The hub's stuck threshold in ms (5 minutes by the contract)."""
        return self.timers.stuck_threshold * 1000

    # -- agents ----------------------------------------------------------------------------

    def agent_connections(self, agent_id: str | None) -> list[ObservedConnection]:
        """Identified connections of that agent id, oldest first."""
        index = self.__dict__.get("_by_agent")
        if index is None or index[0] != len(self.connections):
            by_agent: dict[str | None, list[ObservedConnection]] = {}
            for c in self.connections.values():
                if c.identified:
                    by_agent.setdefault(c.agent_id, []).append(c)
            index = self.__dict__["_by_agent"] = (len(self.connections), by_agent)
        return list(index[1].get(agent_id, ()))

    @property
    def observed_agents(self) -> set[str]:
        return {c.agent_id for c in self.connections.values() if c.agent_id and c.identified}

    def name(self, agent_id: str | None) -> str:
        return self.names.get(agent_id or "", agent_id or "?")

    def before_snapshot(self, event: Event) -> bool:
        return self.snapshot_seq is None or event.seq < self.snapshot_seq

    # -- times -----------------------------------------------------------------------------

    def rel(self, event: Event) -> float:
        return (event.mono_ns - self.started_mono_ns) / 1e9

    def hub_rel(self, hub_ms: int | None) -> float | None:
        """A hub timestamp as seconds since the test started (on our clock, estimated)."""
        if hub_ms is None:
            return None
        wall = self.clock.hub_wall(hub_ms)
        return None if wall is None else (wall - self.started_wall_ms) / 1000


def build(
    history: Recorded | Iterable[Event],
    name: str = "",
    *,
    names: Mapping[str, str] | None = None,
    timers: HubTimers | None = None,
) -> View:
    """The view of a history (or of a plain list of events, for tests), judged with the
    hub's ``timers`` (default: the contract's)."""
    if isinstance(history, Recorded):
        events = history.events()
        started_mono, started_wall, name = (
            history.started_mono_ns,
            history.started_wall_ms,
            history.name,
        )
    else:
        events = sorted(history, key=lambda e: e.seq)
        started_mono = events[0].mono_ns if events else 0
        started_wall = events[0].wall_ms if events else 0
    tasks: dict[str, TaskRecord] = {}
    task_events: dict[str, Event] = {}
    missing: dict[str, Event] = {}
    states_before = states_after = None
    states_event = None
    snapshot_seq = None
    for event in events:
        if event.direction == HUB and event.type == TASK:
            task = event.info.get("task")
            if isinstance(task, TaskRecord):
                tasks[task.id] = task
                task_events[task.id] = event
                missing.pop(task.id, None)
        elif event.direction == HUB and event.type == TASK_MISSING and event.task_id:
            if event.task_id not in tasks:
                missing[event.task_id] = event
        elif event.direction == HUB and event.type == STATES:
            states_before = list(event.info.get("before") or [])
            states_after = list(event.info.get("after") or [])
            states_event = event
        elif event.direction == MARK and event.type == SNAPSHOT:
            # the latest: a test judged more than once read the hub again each time
            snapshot_seq = event.seq
    clock = clock_bounds(events)
    events = resolve_log_frames(events, tasks, clock)
    connections = _connections(events)
    known = {c.agent_id: c.actor for c in connections.values() if c.agent_id}
    return View(
        history_name=name,
        started_mono_ns=started_mono,
        started_wall_ms=started_wall,
        events=events,
        connections=connections,
        tasks=tasks,
        missing_tasks=missing,
        task_events=task_events,
        states_before=states_before,
        states_after=states_after,
        states_event=states_event,
        snapshot_seq=snapshot_seq,
        clock=clock,
        names={**known, **dict(names or {})},
        timers=timers or HubTimers(),
    )


def _connections(events: list[Event]) -> dict[int, ObservedConnection]:
    conns: dict[int, ObservedConnection] = {}
    failed_sends = {
        e.info.get("ref") for e in events if e.direction == CONN and e.type == "send_failed"
    }
    for event in events:
        if event.conn is None or event.direction not in (IN, OUT, CONN):
            continue
        conn = conns.get(event.conn)
        if conn is None:
            conn = conns[event.conn] = ObservedConnection(event.conn, event.actor)
        conn.events.append(event)
        if event.direction == CONN and event.type in CONN_ENDS and conn.end is None:
            conn.end = event
    for conn in conns.values():
        _pair(conn, failed_sends)
    return conns


def _pair(conn: ObservedConnection, failed_sends: set) -> None:
    """Pair each answer with the frame it answers, in the hub's processing order.

    Every frame gets exactly one reply, except ``task_progress`` of an identified
    connection. A reply of a specific kind answers the oldest pending frame of that kind;
    a generic error answers the oldest pending frame.
    """
    pending: list[Exchange] = []
    identify_frame: Event | None = None
    hub_identified = False
    for event in conn.events:
        if event.direction == OUT and event.seq not in failed_sends:
            if event.type == "identify":
                identify_frame = event
            exchange = Exchange(event)
            conn.exchanges.append(exchange)
            pending.append(exchange)
        elif event.direction == IN and event.type in REPLY_TYPES:
            if event.type == "identified":
                hub_identified = True
                if conn.identified is None:
                    conn.identified = event
                    agent = event.info.get("agent_id")
                    conn.agent_id = agent if isinstance(agent, str) else event.agent_id
                    if identify_frame is not None:
                        conn.capabilities = tuple(identify_frame.info.get("capabilities") or ())
            if hub_identified:  # answered progress reports get no reply: skip them
                while pending and pending[0].frame.type == "task_progress":
                    pending.pop(0)
            kind = _answered_kind(event)
            match = next((x for x in pending if kind is None or x.frame.type == kind), None)
            if match is None and pending and kind is None:
                match = pending[0]
            if match is not None:
                pending.remove(match)
                match.answer = event


def _answered_kind(reply: Event) -> str | None:
    if reply.type == "task_ack":
        return ACK_KIND.get(str(reply.info.get("status")))
    if reply.type == "error":
        prefix = str(reply.info.get("error", "")).partition(":")[0]
        return ERROR_KIND.get(prefix)
    return REPLY_KIND.get(reply.type)


def clock_bounds(events: Iterable[Event]) -> Clock:
    """Offset bounds from hub timestamps: a task's ``created_at`` in the answer to our
    ``POST /api/tasks`` lies between sending and receiving it; a ``task_assign``'s
    ``assigned_at`` lies before we received it. 1 ms slack for whole-ms clocks."""
    lo, hi = -math.inf, math.inf
    for e in events:
        if (
            e.direction == HTTP
            and e.info.get("method") == "POST"
            and e.info.get("path") == "/api/tasks"
            and isinstance(e.info.get("answer_created_at"), int)
        ):  # only a submission's created_at lies between our send and receive
            created = e.info["answer_created_at"]
            lo = max(lo, created - e.wall_ms - 1)
            sent = e.info.get("sent_wall_ms")
            if isinstance(sent, int):
                hi = min(hi, created - sent + 1)
        elif e.direction == IN and e.type == "task_assign":
            at = e.info.get("assigned_at")
            if isinstance(at, int) and not isinstance(at, bool):
                lo = max(lo, at - e.wall_ms - 1)
    if lo > hi:  # a clock jumped: claim nothing about order across clocks
        return Clock()
    return Clock(lo, hi)


# -- frames read from a sidecar's log --------------------------------------------------------

LOG_REPORTS = frozenset({"task_complete", "task_failed"})


def resolve_log_frames(
    events: list[Event], tasks: Mapping[str, TaskRecord], clock: Clock
) -> list[Event]:
    """Events as given, with what a sidecar's log does not say (``info["from_log"]``, see
    ``sidecars.feed``) filled in from the hub's records, marked ``resolved_from``:

    - a ``task_assign``: the generation and ``assigned_at`` of the latest assignment of that
      task to that agent that the hub stamped no later than the line (on the hub's clock,
      by the upper bound of :class:`Clock`) and that no earlier line took;
    - a ``task_continue``: the generation the hub's record shows assigned to that agent then;
    - a report: the generation of the last ``task_assign``/``task_continue`` of that task
      in the same sidecar process (what a sidecar sends); none: ``generation_unknown``
      (the rules then do not judge the report);
    - an ack of a failure: ``retried`` or ``dead_letter``, as the record shows.
    """
    if not any(e.info.get("from_log") for e in events):
        return events
    out: list[Event] = []
    taken: set[tuple[str | None, str | None, int | None]] = set()
    current: dict[tuple[str | None, object, str | None], int] = {}  # (agent, life, task) -> gen
    for event in events:
        if not event.info.get("from_log"):
            out.append(event)
            continue
        task = tasks.get(event.task_id or "")
        life = (event.agent_id, event.info.get("lifetime"), event.task_id)
        if event.type in ("task_assign", "task_continue") and task is not None:
            found = _assignment_then(
                task, event, clock, taken if event.type == "task_assign" else None
            )
            if found is not None:
                generation, stamp = found
                if event.type == "task_assign":
                    taken.add((task.id, event.agent_id, generation))
                current[life] = generation
                info = {**event.info, "has_generation": True, "resolved_from": "hub record"}
                if event.type == "task_assign":
                    info["assigned_at"] = stamp
                event = dataclasses.replace(event, generation=generation, info=info)
        elif event.type in LOG_REPORTS and event.direction == OUT:
            generation = current.get(life)
            if generation is None:
                info = {**event.info, "generation_unknown": True}
            else:
                info = {**event.info, "has_generation": True, "resolved_from": "sidecar process"}
            event = dataclasses.replace(event, generation=generation, info=info)
        elif event.type == "task_ack" and event.info.get("status") == "failed" and task:
            status = _failure_outcome(task, event, clock)
            if status is not None:
                info = {**event.info, "status": status, "resolved_from": "hub record"}
                event = dataclasses.replace(event, info=info)
        out.append(event)
    return out


def _assignment_then(
    task: TaskRecord, event: Event, clock: Clock, taken: set | None
) -> tuple[int, int] | None:
    """(generation, stamp) of the latest assignment of ``task`` to the event's agent that
    the hub stamped no later than the event, skipping those in ``taken``."""
    latest = event.wall_ms + clock.hi + 1
    best = None
    for item in task.assignments:
        if item.agent_id != event.agent_id or item.timestamp is None or item.generation is None:
            continue
        if item.timestamp > latest:
            continue
        if taken is not None and (task.id, event.agent_id, item.generation) in taken:
            continue
        best = (item.generation, item.timestamp)
    return best


def _failure_outcome(task: TaskRecord, event: Event, clock: Clock) -> str | None:
    """``retried`` / ``dead_letter``: what ended the latest assignment of ``task`` to the
    event's agent stamped no later than the event."""
    latest = event.wall_ms + clock.hi + 1
    outcome = None
    for index, item in enumerate(task.events):
        if item.event != "assigned" or item.agent_id != event.agent_id:
            continue
        if item.timestamp is None or item.timestamp > latest:
            continue
        end = task.events[index + 1] if index + 1 < len(task.events) else None
        outcome = {"retry": "retried", "dead_letter": "dead_letter"}.get(end.event if end else "")
    return outcome


# -- task record helpers -------------------------------------------------------------------


def assignment(task: TaskRecord, agent_id: str | None, generation: int | None) -> int | None:
    """Index in ``task.events`` of the assignment to that agent with that generation."""
    for index, event in enumerate(task.events):
        if (
            event.event == "assigned"
            and event.generation == generation
            and (agent_id is None or event.agent_id == agent_id)
        ):
            return index
    return None


def next_event(task: TaskRecord, index: int) -> TaskEvent | None:
    return task.events[index + 1] if index + 1 < len(task.events) else None


def info_int(event: Event, key: str) -> int | None:
    value: Any = event.info.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
