"""A real sidecar's log lines as frames in the test's history, so the contract rules judge
sidecars like simulated agents (Robot-free; no I/O but the history it appends to).

A sidecar's frames are not observed on the wire; its own log (either shape, see
:mod:`.logformat`) says what it received, sent and was answered. Each line becomes the
frame(s) it proves, with the line kept (masked, capped) as evidence in ``info["log_line"]``:

=====================  ==========================================================
log line               history events (on the sidecar's current connection)
=====================  ==========================================================
``ws_open``            a new connection: ``open``
``identify_sent``      ``-> identify`` (the capabilities of its config.json)
``identified``         ``<- identified``
``task_received``      ``<- task_assign``, ``-> task_accepted`` (sent before the line)
``task_rejected``      ``<- task_assign`` (the sidecar was busy; its ``task_rejected``
                       frame is not recorded: the hub does not know the type)
``task_complete``      ``-> task_complete`` (logged just before it is sent)
failure events         ``-> task_failed``
``task_ack``           ``<- task_ack``, its status paired as in :class:`~.logformat.\
_Pairing` (neither sidecar logs it): ``accepted``, ``complete`` or ``failed``
``hub_error``          ``<- error``, only a report's refusal (``task_complete_failed: ...``,
                       ``task_fail_failed: ...``): other errors answer frames the log
                       does not show
``recovery_reporting`` ``-> task_recovering``
``recovery_continued`` ``<- task_continue``; ``recovery_reassigned``: ``<- task_reassign``
``ws_close``           ``closed``; a ``startup`` line with a connection still open:
                       ``lost`` (the previous process died without closing it)
=====================  ==========================================================

No line carries a generation or the hub's ``assigned_at``: the frames say so
(``info["from_log"]``), and the checker's view fills them in from the hub's records
(:func:`~AgentComLibrary.checker.view.resolve_log_frames`). Times: a line's own timestamp
(the sidecar's clock, the robot's machine) is the event's wall time; its sequence number is
taken when it is fed, so lines keep their order but come after the frames simulated agents
recorded meanwhile (no rule compares sequence numbers across connections).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..checker.events import CONN, IN, OUT
from ..observe.history import History
from ..util.masking import masked_head
from ..util.timeutil import now_ms
from .logformat import FAILURE_EVENTS, LogEvent, _Pairing

LOG_SOURCE = "sidecar log"
LINE_CAP = 400
REPORT_ERRORS = ("task_complete_failed", "task_fail_failed")


def line_ms(event: LogEvent) -> int | None:
    """The line's own time (``ts`` / ``time``, ISO-8601) as Unix ms, or None."""
    text = event.time
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    return round(stamp.timestamp() * 1000)


# fields of the structured shape that say where in the code a line was written, not what
# happened: left out of the evidence
CODE_FIELDS = frozenset({"module", "pid", "node", "function", "line"})


def log_line(event: LogEvent) -> str:
    """The line as evidence: compact JSON without its code location, masked, capped."""
    fields = {k: v for k, v in event.fields.items() if k not in CODE_FIELDS}
    return masked_head(json.dumps(fields, separators=(",", ":")), LINE_CAP)


class LogFeeder:
    """Feeds one sidecar's log events into a history, once each, as they are read."""

    def __init__(
        self, history: History, actor: str, agent_id: str, capabilities: Sequence[str]
    ) -> None:
        self.history = history
        self.actor = actor
        self.agent_id = agent_id
        self.capabilities = tuple(capabilities)
        self.fed = 0  # events of the log fed so far
        self.conn: int | None = None  # the connection open now
        self._pairing = _Pairing()
        self._last_ms = 0
        self.lifetime = 0  # startup lines seen: one per process lifetime

    def feed(self, events: Sequence[LogEvent]) -> int:
        """Append the events not fed yet (``events``: the whole log so far, in order);
        returns how many history events were added."""
        added = 0
        for event in events[self.fed :]:
            added += self._take(event)
        self.fed = max(self.fed, len(events))
        return added

    def end(self, kind: str, wall_ms: int | None = None) -> None:
        """End the open connection (``kill``: the process group was killed; ``closed``:
        stopped), e.g. when the library ends the process."""
        if self.conn is not None:
            self._record(CONN, kind, None, wall_ms or now_ms())
            self.conn = None
        self._pairing.reset()

    # -- one line ------------------------------------------------------------------------

    def _take(self, event: LogEvent) -> int:
        wall = line_ms(event) or self._last_ms or now_ms()
        self._last_ms = wall
        name, task = event.name, event.task_id
        if name == "startup":
            self.lifetime += 1
            if self.conn is not None:
                self.end("lost", wall)
            return 0
        if name == "ws_open":
            if self.conn is not None:
                self.end("lost", wall)
            self.conn = self.history.new_connection()
            self._pairing.reset()
            return self._emit(event, wall, [(CONN, "open", None, {})])
        if self.conn is None:
            return 0
        steps = self._steps(event, name, task)
        added = self._emit(event, wall, steps)
        if name == "ws_close":
            self.conn = None
            self._pairing.reset()
        return added

    def _steps(
        self, event: LogEvent, name: str, task: str | None
    ) -> list[tuple[str, str, str | None, dict[str, Any]]]:
        if name == "identify_sent":
            info = {"agent_id": self.agent_id, "capabilities": self.capabilities}
            return [(OUT, "identify", None, info)]
        if name == "identified":
            return [(IN, "identified", None, {"agent_id": self.agent_id})]
        if name == "ws_close":
            return [(CONN, "closed", None, {})]
        if not task and name != "hub_error":
            return []
        if name == "task_received":
            self._pairing.accepts[task] = self._pairing.accepts.get(task, 0) + 1
            return [(IN, "task_assign", task, {}), (OUT, "task_accepted", task, {})]
        if name == "task_rejected":
            busy = {"rejected": str(event.get("reason", "")), "active": event.get("active_task_id")}
            return [(IN, "task_assign", task, busy)]
        if name == "task_complete":
            self._pairing.reports.append((task, "complete"))
            return [(OUT, "task_complete", task, {})]
        if name in FAILURE_EVENTS:
            self._pairing.reports.append((task, "failed"))
            return [(OUT, "task_failed", task, {})]
        if name == "task_ack":
            status = self._pairing.ack(task, event.get("status"))
            return [(IN, "task_ack", task, {"status": status})] if status else []
        if name == "hub_error":
            error = str(event.get("error", ""))
            if not error.startswith(REPORT_ERRORS):
                return []
            refused = self._pairing.reject(error, task)
            return [(IN, "error", refused, {"error": error})]
        if name == "recovery_reporting":
            return [(OUT, "task_recovering", task, {})]
        if name == "recovery_continued":
            return [(IN, "task_continue", task, {})]
        if name == "recovery_reassigned":
            return [(IN, "task_reassign", task, {})]
        return []

    def _emit(
        self,
        event: LogEvent,
        wall: int,
        steps: Iterable[tuple[str, str, str | None, dict[str, Any]]],
    ) -> int:
        added = 0
        for direction, kind, task, info in steps:
            self._record(direction, kind, task, wall, {**info, "log_line": log_line(event)})
            added += 1
        return added

    def _record(
        self,
        direction: str,
        kind: str,
        task: str | None,
        wall: int,
        info: dict[str, Any] | None = None,
    ) -> None:
        history = self.history
        mono = history.started_mono_ns + (wall - history.started_wall_ms) * 1_000_000
        self.history.record(
            direction,
            kind,
            actor=self.actor,
            agent_id=self.agent_id,
            conn=self.conn,
            task_id=task,
            info={**(info or {}), "from_log": LOG_SOURCE, "lifetime": self.lifetime},
            wall_ms=wall,
            mono_ns=mono,
        )
