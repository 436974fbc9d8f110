"""One simulated agent: a WebSocket to the hub, a reader thread, a behaviour and a journal.

Knows nothing of Robot Framework. Thread model: the reader thread handles every frame the
hub sends (and the automatic reports of the behaviour), a ping thread pings every 20 s,
``slow`` completions run on timers, and callers (keywords) send reports and wait on the
journal. Sends go through one lock; the journal is behind another, with a condition
variable so that waits wake on events instead of polling.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import websocket

from ..checker.events import CONN, IN, OUT
from ..observe.history import History
from ..util.choices import Behaviour
from ..util.errors import AgentComError
from ..util.masking import mask, mask_text
from ..util.timeutil import Deadline, now_ms
from .journal import Ack, Journal, Received, Rejection, SentReport
from .reports import SendsReports
from .tokens import REALISTIC, TOP, TokenSetting, place_tokens, tokens_for

# Presence pushes (agent_joined, agent_left, status_changed): every agent gets one per other
# agent that comes or goes, so with 500 agents they would outnumber the task frames by far;
# the history skips them (they belong to no task) and the agent counts them as ignored.
PRESENCE_TYPES = frozenset({"agent_joined", "agent_left", "status_changed"})
LOG = logging.getLogger(__name__)
PING_INTERVAL = 20.0
IDENTIFY_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0


class AgentError(AgentComError):
    """An agent could not connect, identify or send."""


@runtime_checkable
class AgentHandle(Protocol):
    """What the library needs from any agent it counts (simulated or a sidecar process).

    ``received_tasks`` entries of a handle that cannot see generations have
    ``generation`` None. ``wait_for`` waits until a predicate about the handle's journal
    holds (on events, or by polling)."""

    name: str
    agent_id: str

    @property
    def connected(self) -> bool: ...

    @property
    def state(self) -> str: ...

    def completed_ids(self, since: int = 0) -> list[str]: ...

    def received_ids(self, since: int = 0) -> list[str]: ...

    def received_tasks(self, since: int = 0) -> list[Received]: ...

    def foreign_tasks(self, since: int = 0) -> list[dict]: ...

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool: ...

    def set_behaviour(self, behaviour: Behaviour, delay: float | None = None) -> None: ...

    def stop(self) -> None: ...

    def kill(self) -> None: ...

    def flush_history(self) -> None: ...


@dataclass
class _Pending:
    """A report waiting for the hub's answer (``task_ack`` or ``error``)."""

    kind: str
    task_id: str
    reply: dict | None = None


_ACK_STATUSES = {
    "task_accepted": {"accepted"},
    "task_complete": {"complete"},
    "task_failed": {"retried", "dead_letter"},
}
_ANSWERS = {"task_recovering": {"task_continue", "task_reassign"}}  # answers of their own
_ERROR_PREFIXES = {"task_complete_failed": "task_complete", "task_fail_failed": "task_failed"}


# -- connection ----------------------------------------------------------------------------


class _Connection:
    """One WebSocket connection; a reconnect makes a new one."""

    def __init__(self, ws: websocket.WebSocket, number: int = 0) -> None:
        self.ws = ws
        self.number = number  # unique in the process; names the connection in the history
        self.state = "connecting"  # identified, closing, closed, killed, lost
        self.close_code: int | None = None
        self.stop = threading.Event()
        self.reader: threading.Thread | None = None
        self.pinger: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self.state in ("connecting", "identified")


class SimulatedAgent(SendsReports, Journal):
    """A scripted agent. ``start()`` connects and identifies; the behaviour then answers
    every ``task_assign``; the journal records what was received, sent and acknowledged."""

    def __init__(
        self,
        name: str,
        agent_id: str,
        token: str,
        ws_url: str,
        run_id: str,
        capabilities: list[str] | None = None,
        behaviour: Behaviour = Behaviour.COMPLETE,
        delay: float = 1.0,
        tokens_used: TokenSetting | str = REALISTIC,
        ping_interval: float = PING_INTERVAL,
        history: History | None = None,
        tokens_in: str = TOP,
    ) -> None:
        self.name = name
        self.history = history if history is not None else History(f"agent {name}")
        self.agent_id = agent_id
        self._token = token
        self.ws_url = ws_url
        self.run_id = run_id
        self.capabilities = list(capabilities or [])
        self.behaviour = behaviour
        self.delay = delay
        self.tokens_used = tokens_used
        self.tokens_in = tokens_in
        self.ping_interval = ping_interval
        super().__init__()
        self._send_lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._conn: _Connection | None = None
        self._identify: dict | None = None
        self._pending: list[_Pending] = []
        self._timers: set[threading.Timer] = set()
        self._last_report: SentReport | None = None
        self.errors: list[dict] = []
        self.ignored_types: dict[str, int] = {}
        self.connections = 0

    def __repr__(self) -> str:
        return (
            f"SimulatedAgent(name={self.name!r}, agent_id={self.agent_id!r}, "
            f"token={mask(self._token)!r}, state={self.state!r})"
        )

    @property
    def token_hint(self) -> str:
        return mask(self._token)

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``identified`` while usable; else ``new``, ``connecting``, ``closing``,
        ``closed``, ``killed`` or ``lost`` (the hub or the network ended it)."""
        return self._conn.state if self._conn else "new"

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.state == "identified"

    def set_behaviour(self, behaviour: Behaviour, delay: float | None = None) -> None:
        """Change what the agent does with tasks assigned from now on."""
        with self._lock:
            self.behaviour = behaviour
            if delay is not None:
                self.delay = delay

    # -- connect / identify ----------------------------------------------------------------

    def start(self, timeout: float = IDENTIFY_TIMEOUT) -> SimulatedAgent:
        """Connect, identify and wait for ``identified``; raise :class:`AgentError` with
        the hub's error (``invalid_token``, ...) otherwise."""
        if self._conn is not None and self._conn.alive:
            raise AgentError(f"Agent '{self.name}' is already connected.")
        deadline = Deadline(timeout)
        try:
            ws = websocket.create_connection(
                self.ws_url, timeout=deadline.remaining() or 1.0, enable_multithread=True
            )
        except (OSError, websocket.WebSocketException) as error:
            self._note(None, "failed", {"error": str(error)[:200]})
            raise AgentError(
                f"Agent '{self.name}' could not connect to {self.ws_url}: {error}"
            ) from None
        ws.settimeout(None)
        conn = _Connection(ws, self.history.new_connection())
        self._note(conn, "open")
        with self._lock:
            self._conn = conn
            self._identify = None
            self._pending.clear()  # answers to the old connection's reports will never come
            self.connections += 1
        conn.reader = threading.Thread(
            target=self._read_loop, args=(conn,), name=f"agent-{self.name}-reader", daemon=True
        )
        conn.reader.start()
        self._send(
            {
                "type": "identify",
                "agent_id": self.agent_id,
                "token": self._token,
                "name": self.name,
                "status": "idle",
                "capabilities": self.capabilities,
            },
            conn,
        )
        with self._cond:
            self._cond.wait_for(
                lambda: self._identify is not None or not conn.alive, deadline.remaining()
            )
            answer = self._identify
        if answer is None or answer.get("type") != "identified":
            if answer is None:
                seen = "no answer" if conn.alive else f"the connection ended ({conn.state})"
            else:
                seen = f"error '{answer.get('error')}'"
            self._abandon(conn)
            raise AgentError(
                f"Agent '{self.name}' ({self.agent_id}) was not identified by the hub: "
                f"expected 'identified', got {seen} (token {self.token_hint})."
            )
        conn.state = "identified"
        conn.pinger = threading.Thread(
            target=self._ping_loop, args=(conn,), name=f"agent-{self.name}-ping", daemon=True
        )
        conn.pinger.start()
        LOG.debug("agent %s identified as %s", self.name, self.agent_id)
        return self

    def reconnect(self, timeout: float = IDENTIFY_TIMEOUT) -> SimulatedAgent:
        """A new connection with the same agent_id and token (a still open one is closed
        cleanly first)."""
        if self._conn is not None and self._conn.alive:
            self.close()
        return self.start(timeout)

    # -- ending a connection ---------------------------------------------------------------

    def kill(self) -> None:
        """Break the TCP connection with no WebSocket close frame: the peer sees a reset,
        as when a process crashes."""
        conn = self._conn
        if conn is None or not conn.alive:
            return
        self._note(conn, "kill")
        self._finish(conn, "killed")
        sock = conn.ws.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RD)  # wakes the reader; sends nothing
        self._join(conn)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()  # linger on, 0 s: the kernel sends RST
        conn.ws.sock = None
        conn.ws.connected = False

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Close cleanly: send a close frame and wait for the hub's."""
        conn = self._conn
        if conn is None or not conn.alive:
            return
        self._note(conn, "close")
        self._finish(conn, "closing")
        try:
            with self._send_lock:
                conn.ws.send_close(websocket.STATUS_NORMAL)
        except (OSError, websocket.WebSocketException):
            pass
        self._join(conn, timeout)
        conn.state = "closed"
        self._release(conn)

    def stop(self) -> None:
        """Close cleanly if connected and end every thread and timer of this agent."""
        self.close()
        conn = self._conn
        if conn is not None and conn.state != "killed":
            self._release(conn)

    def _abandon(self, conn: _Connection) -> None:
        self._note(conn, "close", {"reason": "not identified"})
        self._finish(conn, "closed")
        self._release(conn)

    def _release(self, conn: _Connection) -> None:
        """Wake the reader (shutdown), wait for the threads, close the socket."""
        sock = conn.ws.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._join(conn)
        conn.ws.shutdown()

    def _finish(self, conn: _Connection, state: str) -> None:
        with self._cond:
            conn.state = state
            conn.stop.set()
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
            self._cond.notify_all()

    def _join(self, conn: _Connection, timeout: float = CLOSE_TIMEOUT) -> None:
        current = threading.current_thread()
        for thread in (conn.reader, conn.pinger):
            if thread is not None and thread is not current:
                thread.join(timeout)

    def _note(self, conn: _Connection | None, kind: str, info: dict | None = None) -> None:
        """Record a connection event in the history."""
        self.history.record(
            CONN,
            kind,
            actor=self.name,
            agent_id=self.agent_id,
            conn=conn.number if conn is not None else None,
            info=info,
        )

    # -- sending ---------------------------------------------------------------------------

    def _send(self, message: dict, conn: _Connection | None = None) -> None:
        conn = conn or self._conn
        if conn is None or not conn.alive:
            raise AgentError(
                f"Agent '{self.name}' cannot send '{message.get('type')}': "
                f"it is not connected (state {self.state})."
            )
        text = json.dumps(message)
        try:
            with self._send_lock:  # recorded before it leaves: the answer comes later
                sent = self.history.frame(
                    OUT, message, actor=self.name, agent_id=self.agent_id, conn=conn.number
                )
                conn.ws.send(text)
        except (OSError, websocket.WebSocketException) as error:
            self._note(conn, "send_failed", {"ref": sent.seq, "error": str(error)[:200]})
            raise AgentError(
                f"Agent '{self.name}' could not send '{message.get('type')}': {error}"
            ) from None
        LOG.debug("agent %s -> %s", self.name, mask_text(text))

    def send(self, message: dict) -> None:
        """Send any JSON message as is (for contract tests)."""
        with self._lock:
            self._last_report = SentReport(
                message.get("type", "?"), message.get("task_id"), None, now_ms()
            )
        self._send(message)

    def _report(self, kind: str, task_id: str, fields: dict, wait: float | None) -> dict | None:
        """Send a report; with ``wait``, block until the hub answers it and return the answer."""
        generation = fields.get("generation")
        pending = _Pending(kind, task_id)
        with self._lock:
            report = SentReport(kind, task_id, generation, now_ms())
            self.reports.append(report)
            self._last_report = report
            if kind in _ACK_STATUSES or kind in _ANSWERS:
                self._pending.append(pending)
        try:
            self._send({"type": kind, "task_id": task_id, **fields})
        except AgentError:
            with self._lock:
                if pending in self._pending:
                    self._pending.remove(pending)
            raise
        if wait is None:
            return None
        with self._cond:
            answered = self._cond.wait_for(
                lambda: pending.reply is not None or not self.connected, wait
            )
        if pending.reply is None:
            why = "the connection ended" if not self.connected else "no answer"
            if not answered:
                why = f"no answer within {wait:g} s"
            raise AgentError(
                f"Agent '{self.name}' sent {kind} for {task_id} and got {why} from the hub."
            )
        return pending.reply

    def _send_report(
        self, kind: str, task_id: str, generation: int | None, wait: float | None, **fields: Any
    ) -> dict | None:
        """The frame of a report (see agents/reports.py): a completion's result and
        tokens_used (and where they go) default to the agent's own; a generation None is
        left out."""
        if kind == "task_complete":
            result, tokens_used = fields.pop("result"), fields.pop("tokens_used")
            where = fields.pop("tokens_in", None) or self.tokens_in
            fields["result"] = result if result is not None else self._result(task_id)
            tokens = tokens_for(self.tokens_used, task_id) if tokens_used is None else tokens_used
            place_tokens(fields, tokens, where)  # the setting 'omit' (None) leaves it out
        if generation is not None:
            fields["generation"] = generation
        return self._report(kind, task_id, fields, wait)

    def _result(self, task_id: str) -> dict:
        return {"status": "success", "agent": self.name, "output": f"{task_id} done by {self.name}"}

    # -- threads ---------------------------------------------------------------------------

    def _ping_loop(self, conn: _Connection) -> None:
        while not conn.stop.wait(self.ping_interval):
            try:
                self._send({"type": "ping"}, conn)
            except AgentError:
                return

    def _read_loop(self, conn: _Connection) -> None:
        ws = conn.ws
        parts: list[bytes] = []
        try:
            while True:
                frame = ws.recv_frame()
                if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                    conn.close_code = _close_code(frame.data)
                    if conn.state != "closing":
                        with (
                            contextlib.suppress(OSError, websocket.WebSocketException),
                            self._send_lock,
                        ):
                            ws.send_close(websocket.STATUS_NORMAL)
                    break
                if frame.opcode == websocket.ABNF.OPCODE_PING:
                    with self._send_lock:
                        ws.pong(frame.data)
                    continue
                if frame.opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_CONT):
                    parts.append(frame.data)
                    if frame.fin:
                        data, parts = b"".join(parts), []
                        self._dispatch(data.decode("utf-8", errors="replace"), conn)
        except (OSError, websocket.WebSocketException, ValueError) as error:
            LOG.debug("agent %s reader ended: %s", self.name, error)
        finally:
            with self._cond:
                lost = conn.state in ("connecting", "identified")
                self._note(conn, "lost" if lost else "reader_end", {"close_code": conn.close_code})
                if lost:
                    conn.state = "lost"
                elif conn.state == "closing":
                    conn.state = "closed"
                conn.stop.set()
                self._cond.notify_all()
            if lost:  # the hub or the network ended it: release our end too
                ws.shutdown()

    def _dispatch(self, text: str, conn: _Connection | None = None) -> None:
        conn = conn or self._conn
        number = conn.number if conn is not None else None
        try:
            message = json.loads(text)
        except ValueError:
            LOG.debug("agent %s got non-JSON %r", self.name, text[:200])
            self.history.record(
                IN, "non-json", actor=self.name, agent_id=self.agent_id, conn=number
            )
            return
        if not isinstance(message, dict):
            return
        if message.get("type") in PRESENCE_TYPES:  # not part of any task's story: counted only
            with self._cond:
                kind = str(message.get("type"))
                self.ignored_types[kind] = self.ignored_types.get(kind, 0) + 1
            return
        self.history.frame(IN, message, actor=self.name, agent_id=self.agent_id, conn=number or 0)
        LOG.debug("agent %s <- %s", self.name, mask_text(text[:2000]))
        kind = message.get("type")
        handler: Callable[[dict], None] | None = {
            "identified": self._on_identified,
            "error": self._on_error,
            "task_assign": self._on_assign,
            "task_ack": self._on_ack,
            "task_continue": self._on_answer,
            "task_reassign": self._on_answer,
        }.get(kind)
        if handler is not None:
            handler(message)
        else:
            with self._cond:
                self.ignored_types[str(kind)] = self.ignored_types.get(str(kind), 0) + 1
                self._cond.notify_all()

    def _on_identified(self, message: dict) -> None:
        with self._cond:
            self._identify = message
            self._cond.notify_all()

    def _on_error(self, message: dict) -> None:
        error = str(message.get("error", ""))
        with self._cond:
            if self._identify is None and self._conn and self._conn.state == "connecting":
                self._identify = message
                self._cond.notify_all()
                return
            prefix, _, reason = error.partition(": ")
            kind = _ERROR_PREFIXES.get(prefix)
            pending = next((p for p in self._pending if p.kind == kind), None) if kind else None
            if pending is not None:
                self._pending.remove(pending)
                pending.reply = message
                self.rejections.append(
                    Rejection(pending.task_id, kind, reason or error, error, now_ms())
                )
            elif kind is not None:
                last = self._last_report
                self.rejections.append(
                    Rejection(
                        last.task_id if last else None, kind, reason or error, error, now_ms()
                    )
                )
            else:
                last = self._last_report
                self.errors.append(
                    {"error": error, "after": last.kind if last else None, "at": now_ms()}
                )
            self._cond.notify_all()

    def _on_ack(self, message: dict) -> None:
        task_id, status = message.get("task_id"), str(message.get("status"))
        with self._cond:
            self.acks.append(Ack(task_id, status, now_ms()))
            for pending in self._pending:
                if pending.task_id == task_id and status in _ACK_STATUSES[pending.kind]:
                    self._pending.remove(pending)
                    pending.reply = message
                    break
            self._cond.notify_all()

    def _on_answer(self, message: dict) -> None:
        """``task_continue`` / ``task_reassign``: the answer to a ``task_recovering``."""
        task_id, kind = message.get("task_id"), str(message.get("type"))
        with self._cond:
            for pending in self._pending:
                if pending.task_id == task_id and kind in _ANSWERS.get(pending.kind, ()):
                    self._pending.remove(pending)
                    pending.reply = message
                    break
            self._cond.notify_all()

    def _on_assign(self, message: dict) -> None:
        metadata = message.get("metadata") or {}
        received = Received(
            task_id=message.get("task_id"),
            generation=message.get("generation"),
            assigned_at=message.get("assigned_at"),
            received_at=now_ms(),
            description=message.get("description", ""),
            metadata=metadata if isinstance(metadata, dict) else {},
        )
        with self._cond:
            is_foreign = received.metadata.get("smoke_run") != self.run_id
            (self.foreign if is_foreign else self.received).append(received)
            behaviour, delay, conn = self.behaviour, self.delay, self._conn
            self._cond.notify_all()
        if is_foreign:
            LOG.warning("agent %s left foreign task %s alone", self.name, received.task_id)
            return
        with contextlib.suppress(AgentError):
            self._act(behaviour, delay, received, conn)

    def _act(
        self, behaviour: Behaviour, delay: float, task: Received, conn: _Connection | None
    ) -> None:
        if not behaviour.accepts:
            return
        self.accept(task.task_id)
        if behaviour is Behaviour.COMPLETE:
            self.complete(task.task_id, task.generation)
        elif behaviour is Behaviour.OMIT_GENERATION:
            self.complete(task.task_id, None)
        elif behaviour is Behaviour.FAIL:
            self.fail(task.task_id, task.generation, f"simulated failure by {self.name}")
        elif behaviour is Behaviour.SLOW:
            self._later(conn, delay, lambda: self.complete(task.task_id, task.generation))

    def _later(self, conn: _Connection | None, delay: float, action: Callable[[], object]) -> None:
        """Run ``action`` after ``delay`` unless the connection ends first."""

        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
            with contextlib.suppress(AgentError):
                action()

        timer = threading.Timer(delay, run)
        timer.daemon = True
        with self._lock:
            if conn is None or conn.stop.is_set():
                return
            self._timers.add(timer)
            timer.start()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` (called with the journal lock held) is true; wakes
        on every journal event and connection change."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)


def _close_code(data: bytes) -> int | None:
    return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
