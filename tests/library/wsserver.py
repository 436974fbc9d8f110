"""A minimal WebSocket server over a raw socket, to see exactly what an agent puts on the wire."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class RawWsServer:
    """Accepts one connection at a time; answers ``identify`` with ``identified``; records
    what happened to the connection: ``text`` frames, a ``close`` frame, ``reset``, ``eof``."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"ws://127.0.0.1:{self.sock.getsockname()[1]}/ws"
        self.events: list[tuple[str, object]] = []
        self.cond = threading.Condition()
        self.conn: socket.socket | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def wait_for(self, kind: str, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: any(k == kind for k, _ in self.events), timeout)

    def kinds(self) -> list[str]:
        with self.cond:
            return [k for k, _ in self.events]

    def _record(self, kind: str, value: object = None) -> None:
        with self.cond:
            self.events.append((kind, value))
            self.cond.notify_all()

    def send_json(self, message: dict) -> None:
        assert self.conn is not None
        self.conn.sendall(_frame(0x1, json.dumps(message).encode()))

    def close(self) -> None:
        self.sock.close()
        if self.conn is not None:
            self.conn.close()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        self.conn = conn
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.decode().split("\r\n")
            if line.lower().startswith("sec-websocket-key")
        )
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        try:
            while True:
                opcode, payload = _read_frame(conn)
                if opcode is None:
                    self._record("eof")
                    return
                if opcode == 0x8:
                    self._record("close", payload)
                    conn.sendall(_frame(0x8, payload))
                    return
                if opcode == 0x1:
                    message = json.loads(payload)
                    self._record("text", message)
                    if message.get("type") == "identify":
                        self.send_json({"type": "identified", "agent_id": message["agent_id"]})
        except ConnectionResetError:
            self._record("reset")


def _read_exact(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int | None, bytes]:
    head = _read_exact(conn, 2)
    if head is None:
        return None, b""
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exact(conn, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exact(conn, 8))[0]
    mask = _read_exact(conn, 4) if head[1] & 0x80 else b"\0\0\0\0"
    payload = _read_exact(conn, length) or b""
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _frame(opcode: int, payload: bytes) -> bytes:
    if len(payload) < 126:
        header = struct.pack("!BB", 0x80 | opcode, len(payload))
    else:
        header = struct.pack("!BBH", 0x80 | opcode, 126, len(payload))
    return header + payload
