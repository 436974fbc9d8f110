"""A raw WebSocket connection for contract tests: sends exactly what it is told, keeps every
message the hub sends, and hands out replies in order. Knows nothing of Robot Framework.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable

import websocket

from ..checker.events import CONN, IN, OUT, Event
from ..observe.history import History
from ..util.errors import AgentComAssertion
from ..util.masking import mask_text
from ..util.waiting import within

LOG = logging.getLogger(__name__)

# What the hub sends in answer to a frame; everything else (task_assign, presence, chat) is
# pushed on its own and skipped by next_reply().
REPLY_TYPES = frozenset(
    {"identified", "error", "task_ack", "pong", "task_continue", "task_reassign"}
)


class ProbeError(AgentComAssertion):
    """The probe could not connect or send, or an expected message did not come."""


class ProbeConnection:
    """One WebSocket with a reader thread. The probe never answers the hub by itself."""

    def __init__(
        self, name: str, ws_url: str, timeout: float = 10.0, history: History | None = None
    ) -> None:
        self.name = name
        self.ws_url = ws_url
        self.history = history if history is not None else History(f"probe {name}")
        self.number = self.history.new_connection()
        self.agent_id: str | None = None  # set by the hub's `identified`
        try:
            self.ws = websocket.create_connection(ws_url, timeout=timeout)
        except (OSError, websocket.WebSocketException) as error:
            self._note("failed", {"error": str(error)[:200]})
            raise ProbeError(f"Probe '{name}' could not connect to {ws_url}: {error}") from None
        self._note("open")
        self.ws.settimeout(None)
        self.received: list[dict] = []  # every JSON object, in arrival order
        self.non_json: list[str] = []
        self.closed = False
        self._read_upto = {"reply": 0}  # per kind: index into `received` already handed out
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name=f"probe-{name}", daemon=True)
        self._reader.start()

    def __repr__(self) -> str:
        return f"ProbeConnection(name={self.name!r}, ws_url={self.ws_url!r}, closed={self.closed})"

    # -- sending ---------------------------------------------------------------------------

    def send(self, frame: str) -> None:
        """Send ``frame`` as one text frame, as is."""
        try:
            with self._send_lock:  # recorded before it leaves: the answer comes later
                sent = self._record_frame(OUT, frame)
                self.ws.send(frame)
        except (OSError, websocket.WebSocketException) as error:
            self._note("send_failed", {"ref": sent.seq, "error": str(error)[:200]})
            raise ProbeError(f"Probe '{self.name}' could not send a frame: {error}") from None
        LOG.debug("probe %s -> %s", self.name, mask_text(frame[:2000]))

    def send_json(self, message: dict) -> None:
        self.send(json.dumps(message))

    # -- receiving -------------------------------------------------------------------------

    def next_reply(self, timeout: float) -> dict:
        """The next reply (``identified``, ``error``, ``task_ack``, ``pong``, ...) not handed
        out yet; pushes in between are skipped. Raises :class:`ProbeError` on timeout."""
        return self._next("reply", timeout)

    def next_of_type(self, kind: str, timeout: float) -> dict:
        """The next message of type ``kind`` not handed out yet by this method."""
        return self._next(kind, timeout)

    def take(self, key: str) -> dict | None:
        """Hand out the next message of ``key`` (``reply`` or a message type) that has
        arrived, or None when none has yet (does not wait)."""
        wanted = _wanted(key)
        with self._cond:
            start = self._read_upto.get(key, 0)
            for index in range(start, len(self.received)):
                if wanted(self.received[index]):
                    self._read_upto[key] = index + 1
                    return self.received[index]
            return None

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate`` holds, re-checking whenever a message arrives or the
        connection closes; whether it held in time. ``predicate`` is not asked again once it
        held (it may hand out a message with :meth:`take`)."""
        held = False

        def check() -> bool:
            nonlocal held
            held = held or bool(predicate())  # asked until it holds once: it may consume
            return held or self.closed

        with self._cond:  # an RLock: ``predicate`` may call :meth:`take`
            self._cond.wait_for(check, timeout)
        return held

    def missing(self, key: str, timeout: float) -> str:
        """The failure text when no message of ``key`` came within ``timeout``."""
        what = "reply" if key == "reply" else f"'{key}' message"
        state = "the connection is closed" if self.closed else "none came"
        seen = ", ".join(str(m.get("type")) for m in self.received[-5:]) or "nothing"
        return (
            f"Probe '{self.name}': expected a {what} {within(timeout)}, but {state} "
            f"(last messages: {seen})."
        )

    def _next(self, key: str, timeout: float) -> dict:
        found: list[dict] = []

        def arrived() -> bool:
            message = found[0] if found else self.take(key)
            if message is not None and not found:
                found.append(message)
            return bool(found)

        if not self.wait_for(arrived, timeout):
            raise ProbeError(self.missing(key, timeout))
        return found[0]

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the socket and end the reader thread. Safe to call twice."""
        if not self.closed:
            self._note("close")
        self.closed = True
        sock = self.ws.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._reader.join(5)
        self.ws.shutdown()

    def _read(self) -> None:
        try:
            while True:
                text = self.ws.recv()
                if not text:
                    break
                try:
                    message = json.loads(text)
                except ValueError:
                    message = None
                if isinstance(message, dict):
                    if message.get("type") == "identified" and self.agent_id is None:
                        agent = message.get("agent_id")
                        self.agent_id = agent if isinstance(agent, str) else None
                    self.history.frame(
                        IN, message, actor=self.name, agent_id=self.agent_id, conn=self.number
                    )
                else:
                    self._note("non-json-in")
                with self._cond:
                    if isinstance(message, dict):
                        self.received.append(message)
                    else:
                        self.non_json.append(str(text)[:2000])
                    self._cond.notify_all()
        except (OSError, websocket.WebSocketException, ValueError):
            pass
        finally:
            self._note("reader_end" if self.closed else "lost")
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    # -- history ---------------------------------------------------------------------------

    def _note(self, kind: str, info: dict | None = None) -> None:
        self.history.record(
            CONN, kind, actor=self.name, agent_id=self.agent_id, conn=self.number, info=info
        )

    def _record_frame(self, direction: str, frame: str) -> Event:
        """Record a frame the probe sends: its JSON fields, or ``non-json`` (text not kept)."""
        try:
            message = json.loads(frame)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            return self.history.record(
                direction, "non-json", actor=self.name, agent_id=self.agent_id, conn=self.number
            )
        return self.history.frame(
            direction, message, actor=self.name, agent_id=self.agent_id, conn=self.number
        )


def _wanted(key: str) -> Callable[[dict], bool]:
    if key == "reply":
        return lambda m: m.get("type") in REPLY_TYPES
    return lambda m: m.get("type") == key
