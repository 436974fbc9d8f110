"""WebSocket test clients for the hub: a synchronous `WsClient` and a threaded `AutoAgent`."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import websocket

PRESENCE_TYPES = frozenset(
    {"agent_joined", "agent_left", "status_changed", "message", "agent_status", "presence"}
)
RECV_TIMEOUT_S = 10.0


class ConnectionClosed(AssertionError):
    """The server closed the connection (or it broke) while we waited for a frame."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def _close_code(frame: Any) -> int | None:
    data = getattr(frame, "data", b"") or b""
    if len(data) >= 2:
        return struct.unpack("!H", data[:2])[0]
    return None


class WsClient:
    """One agent connection driven step by step from a test thread."""

    def __init__(self, ws_url: str, label: str = "client") -> None:
        self.ws_url = ws_url
        self.label = label
        self.ws: websocket.WebSocket | None = None
        self.pending: deque[dict] = deque()
        self.seen: list[dict] = []
        self.agent_id: str | None = None
        self.token: str | None = None
        self.close_code: int | None = None
        self.closed_by_server = False

    # -- connection -------------------------------------------------------------------------

    def connect(self, timeout: float = RECV_TIMEOUT_S) -> WsClient:
        self.ws = websocket.create_connection(self.ws_url, timeout=timeout)
        return self

    def identify(
        self,
        agent_id: str,
        token: str,
        capabilities: Iterable[str] = (),
        *,
        name: str | None = None,
        status: str = "idle",
        extra: dict | None = None,
        expect_ok: bool = True,
    ) -> dict:
        """Send identify; with `expect_ok` assert the exact `identified` reply."""
        msg = {
            "type": "identify",
            "agent_id": agent_id,
            "token": token,
            "name": name or agent_id,
            "status": status,
            "capabilities": list(capabilities),
            **(extra or {}),
        }
        self.send_json(msg)
        reply = self.recv_json(types=("identified", "error"))
        if reply == {"type": "identified", "agent_id": agent_id}:
            self.agent_id = agent_id
        if expect_ok:
            assert reply == {"type": "identified", "agent_id": agent_id}, (
                f"{self.label}: identify as {agent_id}: expected identified, got {reply!r}"
            )
            self.agent_id = agent_id
        return reply

    def send_json(self, obj: Any) -> None:
        self.send_text(json.dumps(obj))

    def send_text(self, text: str) -> None:
        self._send(lambda ws: ws.send(text))

    def send_binary(self, data: bytes) -> None:
        self._send(lambda ws: ws.send_binary(data))

    def _send(self, send: Callable[[websocket.WebSocket], object]) -> None:
        """Runs ``send`` on the socket; a broken connection becomes ConnectionClosed."""
        assert self.ws is not None, "not connected"
        try:
            send(self.ws)
        except (websocket.WebSocketConnectionClosedException, OSError) as exc:
            self.closed_by_server = True
            raise ConnectionClosed(f"{self.label}: broken while sending: {exc!r}") from exc

    # -- receiving --------------------------------------------------------------------------

    def _recv_one(self, timeout: float) -> dict | None:
        """One non-presence message from the socket, or None when `timeout` passed."""
        assert self.ws is not None, "not connected"
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.ws.settimeout(remaining)
            try:
                opcode, frame = self.ws.recv_data_frame(control_frame=False)
            except websocket.WebSocketTimeoutException:
                return None
            except (websocket.WebSocketConnectionClosedException, OSError) as exc:
                self.closed_by_server = True
                raise ConnectionClosed(
                    f"{self.label}: connection broken while receiving: {exc!r}"
                ) from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self.closed_by_server = True
                self.close_code = _close_code(frame)
                raise ConnectionClosed(
                    f"{self.label}: server closed the connection (code {self.close_code})",
                    self.close_code,
                )
            data = frame.data
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            try:
                msg = json.loads(text)
            except ValueError as exc:
                raise AssertionError(
                    f"{self.label}: hub sent a frame that is not JSON: {text[:200]!r}"
                ) from exc
            assert isinstance(msg, dict) and isinstance(msg.get("type"), str), (
                f"{self.label}: hub sent a frame that is not a typed object: {msg!r}"
            )
            self.seen.append(msg)
            if msg["type"] in PRESENCE_TYPES:
                continue
            return msg

    def recv_json(
        self, types: Iterable[str] | None = None, timeout: float = RECV_TIMEOUT_S
    ) -> dict:
        """Next non-presence message (of one of `types`, if given).

        Non-matching messages are kept and returned by later calls that want them.
        """
        wanted = set(types) if types is not None else None
        for msg in list(self.pending):
            if wanted is None or msg["type"] in wanted:
                self.pending.remove(msg)
                return msg
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv_one(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise AssertionError(
                    f"{self.label}: no {sorted(wanted) if wanted else 'message'} within "
                    f"{timeout}s; other messages held: {list(self.pending)!r}"
                )
            if wanted is None or msg["type"] in wanted:
                return msg
            self.pending.append(msg)

    def drain_until_pong(self, timeout: float = RECV_TIMEOUT_S) -> list[dict]:
        """Send a ping; return every non-presence message that came before the pong.

        The pong proves the connection is open and that the hub has handled all frames we
        sent before it.
        """
        self.send_json({"type": "ping"})
        before = list(self.pending)
        self.pending.clear()
        deadline = time.monotonic() + timeout
        while True:
            msg = self._recv_one(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise AssertionError(f"{self.label}: no pong within {timeout}s; got {before!r}")
            if msg["type"] == "pong":
                return before
            before.append(msg)

    def ping(self, timeout: float = RECV_TIMEOUT_S) -> dict:
        """Ping and return the pong (other messages stay pending)."""
        held = self.drain_until_pong(timeout)
        self.pending.extend(held)
        return {"type": "pong"}

    def assert_open(self) -> None:
        """Prove the connection is still open with a round trip.

        Identified: ping -> pong. Not identified: ping -> error not_identified.
        """
        if self.agent_id is not None:
            self.ping()
            return
        self.send_json({"type": "ping"})
        reply = self.recv_json()
        assert reply == {"type": "error", "error": "not_identified"}, (
            f"{self.label}: unidentified ping: expected error not_identified, got {reply!r}"
        )

    def expect_error(self, reason: str, timeout: float = RECV_TIMEOUT_S) -> dict:
        reply = self.recv_json(timeout=timeout)
        assert reply == {"type": "error", "error": reason}, (
            f"{self.label}: expected error {reason!r}, got {reply!r}"
        )
        return reply

    def wait_closed_by_server(self, timeout: float) -> int | None:
        """Wait until the server closes or breaks the connection; return the close code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self._recv_one(min(0.5, max(0.01, deadline - time.monotonic())))
            except ConnectionClosed as exc:
                return exc.code
            if msg is not None:
                self.pending.append(msg)
        raise AssertionError(f"{self.label}: server did not close the connection in {timeout}s")

    # -- agent reports ----------------------------------------------------------------------

    def next_assignment(self, timeout: float = RECV_TIMEOUT_S) -> dict:
        return self.recv_json(types=("task_assign",), timeout=timeout)

    def take(self, timeout: float = RECV_TIMEOUT_S) -> dict:
        """Next task_assign, accepted (ack checked); returns the assignment.

        Completing without accepting leaves the agent `assigned` (a quirk of the contract)
        and it gets no new work, so tests that want more work accept first.
        """
        assign = self.next_assignment(timeout)
        ack = self.accept(assign["task_id"])
        assert ack == {"type": "task_ack", "task_id": assign["task_id"], "status": "accepted"}, (
            f"{self.label}: accepting {assign['task_id']}: {ack!r}"
        )
        return assign

    def accept(self, task_id: str) -> dict:
        self.send_json({"type": "task_accepted", "task_id": task_id})
        return self.recv_json(types=("task_ack", "error"))

    def complete(self, task_id: str, generation: Any, **fields: Any) -> dict:
        msg = {"type": "task_complete", "task_id": task_id, "generation": generation}
        msg.setdefault("result", {"ok": True})
        msg.update(fields)
        if generation is _OMIT:
            del msg["generation"]
        self.send_json(msg)
        return self.recv_json(types=("task_ack", "error"))

    def fail(self, task_id: str, generation: Any, error: str = "boom", key: str = "error") -> dict:
        msg = {"type": "task_failed", "task_id": task_id, "generation": generation, key: error}
        if generation is _OMIT:
            del msg["generation"]
        self.send_json(msg)
        return self.recv_json(types=("task_ack", "error"))

    # -- ending -----------------------------------------------------------------------------

    def close(self) -> None:
        """Clean close: send a close frame and wait briefly for the server's."""
        if self.ws is None:
            return
        with contextlib.suppress(Exception):
            self.ws.close(timeout=3)
        self.ws = None

    def reset(self) -> None:
        """Break the TCP connection with a reset (SO_LINGER 0), no close frame."""
        if self.ws is None:
            return
        sock = self.ws.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.close()
        self.ws = None


class _Omit:
    def __repr__(self) -> str:
        return "<omitted>"


_OMIT: Any = _Omit()
OMIT: Any = _OMIT
"""Pass as `generation` to send a report without the field."""


class AutoAgent:
    """An agent on its own thread: accepts and completes (or holds) every assignment."""

    def __init__(
        self,
        ws_url: str,
        agent_id: str,
        token: str,
        capabilities: Iterable[str] = (),
        *,
        behaviour: str = "complete",
        ping_interval: float | None = None,
        recover: Iterable[str] = (),
    ) -> None:
        self.ws_url = ws_url
        self.agent_id = agent_id
        self.token = token
        self.capabilities = list(capabilities)
        self.behaviour = behaviour
        self.ping_interval = ping_interval
        self.recover = list(recover)
        self.assigned: list[tuple[str, int]] = []
        self.completed: list[str] = []
        self.acks: list[dict] = []
        self.errors: list[dict] = []
        self.reassigned: list[str] = []
        self.broken: str | None = None
        self.identified = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ws: websocket.WebSocket | None = None
        self._thread = threading.Thread(target=self._run, name=f"agent-{agent_id}", daemon=True)

    def start(self, timeout: float = RECV_TIMEOUT_S) -> AutoAgent:
        self._thread.start()
        if not self.identified.wait(timeout):
            raise AssertionError(
                f"agent {self.agent_id} not identified within {timeout}s ({self.broken})"
            )
        return self

    def _send(self, obj: dict) -> None:
        with self._lock:
            if self._ws is not None:
                self._ws.send(json.dumps(obj))

    def _run(self) -> None:
        try:
            ws = websocket.create_connection(self.ws_url, timeout=RECV_TIMEOUT_S)
            self._ws = ws
            self._send(
                {
                    "type": "identify",
                    "agent_id": self.agent_id,
                    "token": self.token,
                    "name": self.agent_id,
                    "status": "idle",
                    "capabilities": self.capabilities,
                }
            )
            ws.settimeout(0.1)
            last_ping = time.monotonic()
            while not self._stop.is_set():
                if self.ping_interval and time.monotonic() - last_ping >= self.ping_interval:
                    self._send({"type": "ping"})
                    last_ping = time.monotonic()
                try:
                    opcode, frame = ws.recv_data_frame()
                except websocket.WebSocketTimeoutException:
                    continue
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.broken = f"server closed (code {_close_code(frame)})"
                    return
                self._handle(json.loads(frame.data))
        except Exception as exc:  # the thread must record, not raise
            if not self._stop.is_set():
                self.broken = repr(exc)

    def _handle(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "identified":
            for task_id in self.recover:
                self._send({"type": "task_recovering", "task_id": task_id})
            self.identified.set()
        elif kind == "task_assign":
            key = (msg["task_id"], msg["generation"])
            if key in self.assigned:  # already told by task_continue
                return
            self.assigned.append(key)
            if self.behaviour in ("complete", "hold"):
                self._send({"type": "task_accepted", "task_id": msg["task_id"]})
            if self.behaviour == "complete":
                self._complete(msg["task_id"], msg["generation"])
        elif kind == "task_continue":
            key = (msg["task_id"], msg["generation"])
            if key in self.assigned:  # the same assignment also came as task_assign
                return
            self.assigned.append(key)
            if self.behaviour == "complete":
                self._complete(msg["task_id"], msg["generation"])
        elif kind == "task_reassign":
            self.reassigned.append(msg["task_id"])
        elif kind == "task_ack":
            self.acks.append(msg)
            if msg.get("status") == "complete":
                self.completed.append(msg["task_id"])
        elif kind == "error":
            self.errors.append(msg)

    def _complete(self, task_id: str, generation: int) -> None:
        self._send(
            {
                "type": "task_complete",
                "task_id": task_id,
                "generation": generation,
                "result": {"by": self.agent_id},
                "tokens_used": 7,
            }
        )

    def task_ids(self) -> list[str]:
        return [t for t, _ in self.assigned]

    def stop(self, mode: str = "close") -> None:
        """Stop the thread; `close` sends a close frame, `reset` breaks the TCP link."""
        self._stop.set()
        self._thread.join(timeout=RECV_TIMEOUT_S)
        ws, self._ws = self._ws, None
        if ws is None:
            return
        if mode == "reset" and ws.sock is not None:
            with contextlib.suppress(OSError):
                ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                ws.sock.close()
            return
        with contextlib.suppress(Exception):
            ws.settimeout(3)
            ws.close(timeout=3)
