"""WebSocket adapter at ``/ws``: frames in, hub calls, frames out (in order)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque

from aiohttp import WSMsgType, web

from .hub import Hub
from .jsonutil import loads

log = logging.getLogger("agentcom_hub.ws")

MAX_FRAME = 1 << 20  # 1 MiB; larger frames close the connection with 1009


class WsConnection:
    """One agent connection: an ordered outbox drained by a writer task."""

    def __init__(self, ws: web.WebSocketResponse, peer: str) -> None:
        self.ws = ws
        self.peer = peer
        self.agent_id: str | None = None
        self._out: deque[str] = deque()
        self._wake = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._writer = asyncio.ensure_future(self._write())

    def send(self, message: dict) -> None:
        """Queue one JSON message."""
        if self._close is None:
            self._out.append(json.dumps(message, separators=(",", ":")))
            self._wake.set()

    def close(self, code: int, reason: str) -> None:
        """Close after the queued messages are written."""
        if self._close is None:
            self._close = (code, reason)
            self._wake.set()

    async def _write(self) -> None:
        ws = self.ws
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._out:
                    await ws.send_str(self._out.popleft())
                if self._close is not None:
                    code, reason = self._close
                    await ws.close(code=code, message=reason.encode())
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # peer gone: nothing more to write
            log.debug("write to %s stopped: %r", self.peer, exc)
            self._close = self._close or (1006, "write failed")  # drop later sends
            self._out.clear()

    async def finish(self, code: int = 1000, reason: str = "") -> None:
        """Flush, close and stop the writer (bounded wait)."""
        self.close(code, reason)
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=5)
        except (asyncio.TimeoutError, Exception):
            self._writer.cancel()
        if not self.ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=code), timeout=2)


def dispatch(hub: Hub, conn: WsConnection, text: str) -> None:
    """Handle one text frame."""
    try:
        msg = loads(text)
    except ValueError:
        conn.send({"type": "error", "error": "invalid_json"})
        return
    if not isinstance(msg, dict):  # valid JSON but no object: no type (as the original)
        msg = {}
    kind = msg.get("type")
    if kind == "identify" and "agent_id" in msg:
        hub.identify(conn, msg)
        return
    if conn.agent_id is None:
        conn.send({"type": "error", "error": "not_identified"})
        return
    handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        conn.send({"type": "error", "error": "unknown_message_type"})
        return
    handler(hub, conn, msg)


_HANDLERS = {
    "task_accepted": Hub.accepted,
    "task_progress": Hub.progress,
    "task_complete": Hub.completed,
    "task_failed": Hub.failed,
    "task_recovering": Hub.recovering,
    "ping": lambda hub, conn, msg: hub.ping(conn),
}


async def websocket(request: web.Request) -> web.StreamResponse:
    """GET /ws."""
    hub: Hub = request.app["hub"]
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
    await ws.prepare(request)
    peer = request.remote or "?"
    conn = WsConnection(ws, peer)
    hub.opened(conn)
    idle = hub.config.idle_timeout
    close_code = 1000
    try:
        while True:
            try:
                msg = await ws.receive(timeout=idle)
            except asyncio.TimeoutError:
                log.info("connection %s (%s) idle for %gs: closing", peer, conn.agent_id, idle)
                close_code = 1002
                break
            if msg.type == WSMsgType.TEXT:
                try:
                    dispatch(hub, conn, msg.data)
                except Exception:
                    log.exception("error handling a frame from %s (%s)", peer, conn.agent_id)
                    conn.send({"type": "error", "error": "internal_error"})
            elif msg.type == WSMsgType.BINARY:
                conn.send({"type": "error", "error": "invalid_json"})
            elif msg.type == WSMsgType.ERROR:
                log.info("connection %s (%s) error: %s", peer, conn.agent_id, ws.exception())
                break
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("connection %s (%s) failed", peer, conn.agent_id)
    finally:
        hub.closed(conn)
        await conn.finish(close_code, "idle timeout" if close_code == 1002 else "")
    return ws
