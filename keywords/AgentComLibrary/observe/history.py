"""One ordered history per test: what the library saw, for the contract checker to judge.

Robot-free. Agents and probes append every frame they send and receive and every change of
their connections; the hub client appends every HTTP exchange; at the end of the test the
collector (``observe.collect``) appends the hub's record of every task and its agent states.
The events are ``checker.events.Event``; their sequence numbers come from the same counter
as the agents' journals (:func:`journal_mark`).

Each test's history is made by the library's context when the test starts and handed to
every agent, probe and pool handle it starts (there is no module-global history).
Tokens never enter a history: identify frames are recorded without theirs, HTTP bodies
are masked and capped.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..checker.events import HTTP, Event, changes_state, int_or_none
from ..util.masking import masked_head
from ..util.timeutil import now_ms

BODY_CAP = 300

_SEQUENCE = itertools.count(1)
_CONNECTIONS = itertools.count(1)


def journal_mark() -> int:
    """A sequence number: history events and journal entries made after this call have a
    larger ``seq``. Shared by every agent, probe and history of the process."""
    return next(_SEQUENCE)


def frame_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a WebSocket frame the checker reads (never a token)."""
    task_id = message.get("task_id")
    info: dict[str, Any] = {}
    for key in ("status", "error", "assigned_at", "timestamp", "agent_id", "name"):
        if key in message and isinstance(message[key], str | int | float | bool | None):
            info[key] = message[key]
    if "generation" in message:
        info["has_generation"] = True
        info["raw_generation"] = (
            message["generation"]
            if int_or_none(message["generation"]) is not None
            else "not an int"
        )
    caps = message.get("capabilities")
    if isinstance(caps, list):
        info["capabilities"] = tuple(str(c) for c in caps if isinstance(c, str))
    if message.get("type") == "task_complete":
        info.update(tokens_fields(message))
    if message.get("type") == "task_assign":
        caps_needed = message.get("needed_capabilities")
        if isinstance(caps_needed, list):
            info["needed_capabilities"] = tuple(str(c) for c in caps_needed)
    return {
        "type": str(message.get("type")),
        "task_id": task_id if isinstance(task_id, str) else None,
        "generation": int_or_none(message.get("generation")),
        "info": info,
    }


def tokens_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    """The token counts a completion reports, for the checker: ``tokens_used`` (top level)
    and ``result_tokens_used`` (inside ``result``), each only when the frame has the key
    (an int or None as sent, anything else ``"not an int"``), and ``result_shape``
    (``map``, ``null`` or ``other``)."""

    def count(value: object) -> object:
        return value if value is None or int_or_none(value) is not None else "not an int"

    result = message.get("result")
    info: dict[str, Any] = {
        "result_shape": "map"
        if isinstance(result, Mapping)
        else "null"
        if result is None
        else "other"
    }
    if "tokens_used" in message:
        info["tokens_used"] = count(message["tokens_used"])
    if isinstance(result, Mapping) and "tokens_used" in result:
        info["result_tokens_used"] = count(result["tokens_used"])
    return info


def capped(text: str, limit: int = BODY_CAP) -> str:
    """Masked, and cut to ``limit`` characters."""
    return masked_head(text, limit)


class History:
    """The events of one test, thread-safe, in ``seq`` order."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.started_mono_ns = time.monotonic_ns()
        self.started_wall_ms = now_ms()
        self._events: list[Event] = []
        self.changes = 0  # events that may have changed the hub's state (see changes_state)
        self._lock = threading.RLock()  # wait_for predicates may read the history
        self._cond = threading.Condition(self._lock)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def __repr__(self) -> str:
        return f"History(name={self.name!r}, events={len(self)})"

    def record(
        self,
        direction: str,
        type: str,
        *,
        actor: str = "",
        agent_id: str | None = None,
        conn: int | None = None,
        task_id: str | None = None,
        generation: int | None = None,
        info: Mapping[str, Any] | None = None,
        wall_ms: int | None = None,
        mono_ns: int | None = None,
    ) -> Event:
        """Append one event (sequence number and times taken under the lock, so ``seq``
        order is time order) and wake :meth:`wait_for` callers. ``wall_ms`` and ``mono_ns``
        are given for events observed elsewhere (an agent pool's)."""
        with self._cond:
            event = Event(
                seq=journal_mark(),
                mono_ns=time.monotonic_ns() if mono_ns is None else mono_ns,
                wall_ms=now_ms() if wall_ms is None else wall_ms,
                direction=direction,
                type=type,
                actor=actor,
                agent_id=agent_id,
                conn=conn,
                task_id=task_id,
                generation=generation,
                info=dict(info or {}),
            )
            self._events.append(event)
            if changes_state(direction, type):
                self.changes += 1
            self._cond.notify_all()
            return event

    def frame(
        self,
        direction: str,
        message: Mapping[str, Any],
        *,
        actor: str,
        agent_id: str | None,
        conn: int,
    ) -> Event:
        """Record a WebSocket frame (a decoded JSON object)."""
        return self.record(
            direction, actor=actor, agent_id=agent_id, conn=conn, **frame_fields(message)
        )

    def http(
        self,
        method: str,
        path: str,
        status: int | None,
        request_body: object,
        answer: object,
        sent_wall_ms: int,
        error: str = "",
    ) -> Event:
        """Record one HTTP exchange (bodies masked and capped; hub times kept as ints)."""
        info: dict[str, Any] = {"method": method, "path": path, "sent_wall_ms": sent_wall_ms}
        if request_body is not None:
            info["request"] = capped(_text(request_body))
        if answer is not None:
            info["answer"] = capped(_text(answer))
        if isinstance(answer, Mapping):
            for key in ("created_at", "task_id", "status"):
                if key in answer and isinstance(answer[key], str | int):
                    info[f"answer_{key}"] = answer[key]
        if error:
            info["error"] = error[:BODY_CAP]
        return self.record(
            HTTP,
            f"{method} {path}",
            actor="http",
            info=info,
            task_id=info.get("answer_task_id"),
            generation=status,
        )

    def new_connection(self) -> int:
        """A process-wide unique connection number."""
        return next(_CONNECTIONS)

    def events(self) -> list[Event]:
        """A copy of the events so far."""
        with self._lock:
            return list(self._events)

    def since(self, seq: int) -> list[Event]:
        with self._lock:
            return [e for e in self._events if e.seq > seq]

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` is true, waking on every new event."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def add_remote(self, wire: Mapping[str, Any], conn: int | None, offset_ms: int) -> Event:
        """Append an event another process observed (see :func:`to_wire`), with its
        connection renumbered to ``conn`` and its wall time moved by ``offset_ms`` onto
        this process's clock; its monotonic time is placed from that wall time."""
        wall_ms = int(wire["wall_ms"]) + offset_ms
        mono_ns = self.started_mono_ns + (wall_ms - self.started_wall_ms) * 1_000_000
        info = dict(wire.get("info") or {})
        for key in TUPLE_INFO:
            if isinstance(info.get(key), list):
                info[key] = tuple(info[key])
        return self.record(
            str(wire["direction"]),
            str(wire["type"]),
            actor=str(wire.get("actor") or ""),
            agent_id=wire.get("agent_id"),
            conn=conn,
            task_id=wire.get("task_id"),
            generation=int_or_none(wire.get("generation")),
            info=info,
            wall_ms=wall_ms,
            mono_ns=mono_ns,
        )

    def relative_s(self, event: Event) -> float:
        """Seconds since the test started."""
        return (event.mono_ns - self.started_mono_ns) / 1e9


TUPLE_INFO = ("capabilities", "needed_capabilities")  # info values kept as tuples


def to_wire(event: Event) -> dict[str, Any]:
    """An event as plain JSON-ready data, for an agent pool to send to the robot process
    (read back with :meth:`History.add_remote`)."""
    return {
        "seq": event.seq,
        "wall_ms": event.wall_ms,
        "direction": event.direction,
        "type": event.type,
        "actor": event.actor,
        "agent_id": event.agent_id,
        "conn": event.conn,
        "task_id": event.task_id,
        "generation": event.generation,
        "info": {k: list(v) if isinstance(v, tuple) else v for k, v in event.info.items()},
    }


def _text(value: object) -> str:
    import json

    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)
