"""A sidecar's own JSON log: which shape its lines have, and what they say it did.

Pure functions over lines and events; no files, threads or Robot here.

Two shapes are known (users run either version, so the shape is detected from the lines,
never assumed):

``phase-5``
    ``{"ts": ISO-8601, "event": NAME, "agent_id": ..., ...fields}``, written by ``log()`` in
    index.js of the phase-5 sidecar.
``structured``
    ``{"time": ISO-8601, "severity": LEVEL, "message": NAME, "module", "pid", "node",
    "agent_id", "function", "line", ...fields}``, written by lib/log.js of later sidecars
    (``log_level`` filters it; ``task_ack`` is logged at ``debug``).

Each line is classified on its own, so a log that changes shape half way (a checkout
updated between two runs in the same directory) is still read. A log with no line of a
known shape is ``unknown`` (``empty`` when it has no line at all): nothing is counted from
it, and callers use the hub's records instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PHASE5 = "phase-5"
STRUCTURED = "structured"
UNKNOWN = "unknown"
EMPTY = "empty"
KNOWN_SHAPES = (
    '{"ts": ..., "event": NAME, ...} (the phase-5 sidecar) or '
    '{"time": ..., "severity": ..., "message": NAME, ...} (later sidecars)'
)

# Events after which the sidecar has sent a failure report (task_failed) for the task.
FAILURE_EVENTS = {
    "task_failed", "wake_failed", "confirmation_timeout", "result_parse_error",
    "no_wake_command", "execution_timeout", "execution_failed",
}  # fmt: skip
# Identify refusals: the hub will never identify this token.
REFUSALS = ("invalid_token", "token_agent_mismatch")
RECOVERY_ANSWER_EVENTS = {
    "recovery_continued": "task_continue",
    "recovery_reassigned": "task_reassign",
}


@dataclass(frozen=True)
class LogEvent:
    """One event line of a sidecar log, whatever its shape.

    ``name`` is the event (``task_ack``), ``fields`` the whole JSON object, ``seq`` the
    journal mark given when the line was read (0 when not tailed), ``format`` its shape.
    """

    name: str
    fields: Mapping[str, Any]
    format: str
    seq: int = 0

    @property
    def task_id(self) -> str | None:
        value = self.fields.get("task_id")
        return value if isinstance(value, str) and value else None

    @property
    def time(self) -> str:
        return str(self.fields.get("ts") or self.fields.get("time") or "")

    def get(self, key: str, default: object = None) -> Any:
        return self.fields.get(key, default)


def shape_of(entry: Mapping[str, Any]) -> str:
    """``phase-5``, ``structured`` or ``unknown`` for one decoded JSON object."""
    if isinstance(entry.get("event"), str) and isinstance(entry.get("ts"), str):
        return PHASE5
    if isinstance(entry.get("message"), str) and (
        isinstance(entry.get("severity"), str) or isinstance(entry.get("time"), str)
    ):
        return STRUCTURED
    return UNKNOWN


def parse_line(line: str | bytes, seq: int = 0) -> LogEvent | None:
    """The event of one log line, or None when it is not a JSON object of a known shape."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    shape = shape_of(entry)
    if shape == PHASE5:
        return LogEvent(entry["event"], entry, PHASE5, seq)
    if shape == STRUCTURED:
        return LogEvent(entry["message"], entry, STRUCTURED, seq)
    return None


@dataclass
class LogShape:
    """What the lines of one log look like: counts per shape and a sample of the others."""

    lines: int = 0
    phase5: int = 0
    structured: int = 0
    first_other: str = ""

    def add(self, line: str, event: LogEvent | None) -> None:
        if not line.strip():
            return
        self.lines += 1
        if event is None:
            if not self.first_other:
                self.first_other = line.strip()[:200]
        elif event.format == PHASE5:
            self.phase5 += 1
        else:
            self.structured += 1

    @property
    def format(self) -> str:
        """The shape most lines have; ``unknown`` if none has a known one, ``empty``."""
        if self.lines == 0:
            return EMPTY
        if not self.phase5 and not self.structured:
            return UNKNOWN
        return PHASE5 if self.phase5 >= self.structured else STRUCTURED

    @property
    def readable(self) -> bool:
        return self.format not in (UNKNOWN, EMPTY)


def detect(lines: Iterable[str]) -> LogShape:
    """The :class:`LogShape` of a whole log's lines."""
    shape = LogShape()
    for line in lines:
        shape.add(line, parse_line(line))
    return shape


def parse_lines(lines: Iterable[str]) -> list[LogEvent]:
    """The event lines among ``lines`` (others skipped), in order."""
    return [e for e in (parse_line(line) for line in lines) if e is not None]


def describe_unreadable(path: object, shape: LogShape) -> str:
    """Why a log cannot be read, naming the file and what was expected."""
    expected = f"one JSON object per line, {KNOWN_SHAPES}"
    if shape.format == EMPTY:
        return f"the sidecar log {path} has no lines (expected {expected})"
    sample = f"; its first line: {shape.first_other}" if shape.first_other else ""
    return (
        f"none of the {shape.lines} lines of the sidecar log {path} is an event line of a "
        f"known shape (expected {expected}){sample}"
    )


# -- what the events say -------------------------------------------------------------------


@dataclass
class SidecarLogSummary:
    """What one sidecar's log says it did (over all its process lifetimes).

    ``acknowledged_completions`` are tasks whose ``task_complete`` the hub answered with a
    ``task_ack``. Neither known sidecar logs the ack's status, so acks are paired per task
    and in order, as the hub answers in order on one connection: the first ack after
    ``task_received`` answers ``task_accepted``; an ack after a sent report answers it.
    ``acks_logged`` is False when completions were sent but no ``task_ack`` line exists
    (a ``structured`` log above ``log_level`` debug): completions cannot be read then.
    """

    format: str = EMPTY
    received: list[str] = field(default_factory=list)
    sent_completions: list[str] = field(default_factory=list)
    acknowledged_completions: list[str] = field(default_factory=list)
    rejected_completions: list[tuple[str, str]] = field(default_factory=list)
    sent_failures: list[str] = field(default_factory=list)
    rejected_assignments: list[str] = field(default_factory=list)
    recovering: list[str] = field(default_factory=list)
    recovery_answers: dict[str, list[str]] = field(default_factory=dict)
    hub_errors: list[str] = field(default_factory=list)
    starts: int = 0
    acks_logged: bool = True

    @property
    def completions_readable(self) -> bool:
        return self.format not in (UNKNOWN, EMPTY) and self.acks_logged


class _Pairing:
    """Which reports of the current connection still wait for the hub's answer."""

    def __init__(self) -> None:
        self.accepts: dict[str, int] = {}  # task -> task_accepted not yet acknowledged
        self.reports: list[tuple[str, str]] = []  # (task, "complete"|"failed"), oldest first

    def reset(self) -> None:
        self.accepts.clear()
        self.reports.clear()

    def ack(self, task_id: str, status: object) -> str | None:
        """The report this ack answers: ``accepted``, ``complete``, ``failed`` or None."""
        if status == "accepted" or (status is None and self.accepts.get(task_id, 0) > 0):
            if self.accepts.get(task_id, 0) > 0:
                self.accepts[task_id] -= 1
            return "accepted"
        for index, (tid, kind) in enumerate(self.reports):
            if tid == task_id:
                self.reports.pop(index)
                return kind
        return None

    def reject(self, error: str, task_id: str | None) -> str | None:
        """The task whose report this error answers, if it is a report error."""
        kind = ("complete" if error.startswith("task_complete_failed")
                else "failed" if error.startswith("task_fail_failed") else None)  # fmt: skip
        if kind is None:
            return None
        for index, (tid, sent) in enumerate(self.reports):
            if sent == kind and (task_id is None or tid == task_id):
                self.reports.pop(index)
                return tid
        return None


def summarize(events: Iterable[LogEvent], since: int = 0) -> SidecarLogSummary:
    """Reduce events to a :class:`SidecarLogSummary`.

    With ``since``, only events whose ``seq`` is larger are counted; earlier ones still
    pair reports with answers. Hub errors carry no task id, so a report error is tied to
    the oldest unanswered report of its kind.
    """
    summary = SidecarLogSummary()
    pairing = _Pairing()
    formats: dict[str, int] = {}
    acks = 0
    for event in events:
        formats[event.format] = formats.get(event.format, 0) + 1
        counted = event.seq > since or since == 0
        name, task_id = event.name, event.task_id
        if name == "task_ack":
            acks += 1
        if name in ("startup", "ws_close"):
            pairing.reset()
            if name == "startup" and counted:
                summary.starts += 1
        elif name == "task_received" and task_id:
            pairing.accepts[task_id] = pairing.accepts.get(task_id, 0) + 1
            if counted:
                summary.received.append(task_id)
        elif name == "task_complete" and task_id:
            pairing.reports.append((task_id, "complete"))
            if counted:
                summary.sent_completions.append(task_id)
        elif name in FAILURE_EVENTS and task_id:
            pairing.reports.append((task_id, "failed"))
            if counted:
                summary.sent_failures.append(task_id)
        elif name == "task_ack" and task_id:
            if pairing.ack(task_id, event.get("status")) == "complete" and counted:
                summary.acknowledged_completions.append(task_id)
        elif name == "hub_error":
            error = str(event.get("error", ""))
            rejected = pairing.reject(error, task_id)
            if counted:
                summary.hub_errors.append(error)
                if rejected is not None and error.startswith("task_complete_failed"):
                    summary.rejected_completions.append((rejected, error))
        elif not counted:
            continue
        elif name == "task_rejected" and task_id:
            summary.rejected_assignments.append(task_id)
        elif name == "recovery_reporting" and task_id:
            summary.recovering.append(task_id)
        elif name in RECOVERY_ANSWER_EVENTS and task_id:
            answer = RECOVERY_ANSWER_EVENTS[name]
            summary.recovery_answers.setdefault(task_id, []).append(answer)
    if formats:
        summary.format = max(formats, key=lambda f: formats[f])
    summary.acks_logged = acks > 0 or not summary.sent_completions
    return summary


def since_last_start(events: list[LogEvent]) -> list[LogEvent]:
    """The events of the current process lifetime (from its last ``startup`` line on)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].name == "startup":
            return events[index:]
    return events


def refusal(events: list[LogEvent]) -> str | None:
    """The hub's refusal of the identify in the current lifetime, if the log shows one."""
    for event in since_last_start(events):
        error = str(event.get("error", ""))
        if event.name == "hub_error" and error in REFUSALS:
            return error
    return None


def connection_state(events: list[LogEvent]) -> str:
    """``identified``, ``open`` (socket open, not identified), ``connecting`` or ``new``
    for the current lifetime, from its last connection event."""
    for event in reversed(since_last_start(events)):
        if event.name == "identified":
            return "identified"
        if event.name in ("ws_open", "identify_sent"):
            return "open"
        if event.name in ("ws_close", "ws_connecting", "reconnect_scheduled", "startup"):
            return "connecting"
    return "new"


def hub_error_lines(events: list[LogEvent]) -> list[str]:
    """The ``error`` of every ``hub_error`` line of the current lifetime."""
    return [str(e.get("error", "")) for e in since_last_start(events) if e.name == "hub_error"]
