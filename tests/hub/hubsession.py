"""What a black-box hub test works with: a running hub, its API, its agents, cleanup."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable

import pytest
from hubapi import Api
from hubproc import HubProcess, mask
from hubwsclient import AutoAgent, WsClient

# Lines in the hub's stderr that mean an unhandled error (a 500 or a crashed handler).
CRASH_RE = re.compile(r"Traceback \(most recent call last\)|Error handling request|Unhandled")


def uid() -> str:
    """Short unique suffix for agent ids and capabilities, so tests on one hub never mix."""
    return uuid.uuid4().hex[:8]


class HubSession:
    """A running hub as one test sees it: API client, agents it made, cleanup."""

    def __init__(self, proc: HubProcess) -> None:
        self.proc = proc
        self.api = Api(proc.url, proc.token)
        self.clients: list[WsClient] = []
        self.autos: list[AutoAgent] = []
        self.stderr_offset = len(proc.all_stderr_text())

    @property
    def url(self) -> str:
        return self.proc.url

    @property
    def ws_url(self) -> str:
        return self.proc.ws_url

    @property
    def token(self) -> str:
        return self.proc.token

    def refresh(self) -> None:
        """After a restart: point the API client at the (same) url and current token."""
        self.api.close()
        self.api = Api(self.proc.url, self.proc.token)

    def client(self, label: str = "client") -> WsClient:
        """A connected, not yet identified WebSocket client."""
        ws = WsClient(self.ws_url, label).connect()
        self.clients.append(ws)
        return ws

    def agent(
        self,
        name: str = "agent",
        capabilities: tuple[str, ...] | list[str] = (),
        *,
        agent_id: str | None = None,
        token: str | None = None,
    ) -> WsClient:
        """A new token, a connection and a successful identify."""
        agent_id = agent_id or f"bb-{name}-{uid()}"
        token = token or self.api.create_token(agent_id)
        ws = self.client(agent_id)
        ws.token = token
        ws.identify(agent_id, token, capabilities)
        return ws

    def auto_agent(
        self,
        name: str = "auto",
        capabilities: tuple[str, ...] | list[str] = (),
        *,
        agent_id: str | None = None,
        token: str | None = None,
        **kwargs: object,
    ) -> AutoAgent:
        """A threaded agent that accepts and completes (or holds) assignments."""
        agent_id = agent_id or f"bb-{name}-{uid()}"
        token = token or self.api.create_token(agent_id)
        agent = AutoAgent(self.ws_url, agent_id, token, capabilities, **kwargs)  # type: ignore[arg-type]
        self.autos.append(agent)
        return agent.start()

    def new_stderr(self) -> str:
        return self.proc.all_stderr_text()[self.stderr_offset :]

    def cleanup(self) -> None:
        for agent in self.autos:
            with contextlib.suppress(Exception):
                agent.stop()
        for ws in self.clients:
            with contextlib.suppress(Exception):
                ws.close()
        self.api.close()

    def check_no_crash(self) -> None:
        """Fail when the hub logged an unhandled error during this test."""
        text = self.new_stderr()
        match = CRASH_RE.search(text)
        if match:
            start = max(0, match.start() - 300)
            excerpt = text[start : match.start() + 4000]
            token = self.proc.ready.get("token")
            if token:
                excerpt = excerpt.replace(token, mask(token))
            pytest.fail(f"hub logged an unhandled error during this test:\n{excerpt}")


StartHub = Callable[..., HubSession]
