"""What a black-box hub test works with: a running hub, its API, its agents, cleanup."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from hubapi import Api
from hubproc import HubProcess, mask
from hubwsclient import AutoAgent, WsClient

# Lines in the hub's stderr that mean an unhandled error (a 500 or a crashed handler).
CRASH_RE = re.compile(r"Traceback \(most recent call last\)|Error handling request|Unhandled")


def uid() -> str:
    """Short unique suffix for agent ids and capabilities, so tests on one hub never mix."""
    return uuid.uuid4().hex[:8]


class Held(NamedTuple):
    """What `HubSession.holding` made: the agent, its task, their capability, the assignment."""

    agent: WsClient
    task_id: str
    cap: str
    assign: dict


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
        agent_id, token = self._credentials(name, agent_id, token)
        ws = self.client(agent_id)
        ws.token = token
        ws.identify(agent_id, token, capabilities)
        return ws

    def auto_agent(
        self, name: str = "auto", capabilities: tuple[str, ...] | list[str] = (), **kwargs: Any
    ) -> AutoAgent:
        """A threaded agent that accepts and completes (or holds) assignments; ``agent_id``
        and ``token`` as for :meth:`agent`, the other keywords go to ``AutoAgent``."""
        agent_id, token = self._credentials(
            name, kwargs.pop("agent_id", None), kwargs.pop("token", None)
        )
        agent = AutoAgent(self.ws_url, agent_id, token, capabilities, **kwargs)  # type: ignore[arg-type]
        self.autos.append(agent)
        return agent.start()

    def _credentials(self, name: str, agent_id: str | None, token: str | None) -> tuple[str, str]:
        """The agent id (``bb-<name>-<uid>`` unless given) and its token (new unless given)."""
        agent_id = agent_id or f"bb-{name}-{uid()}"
        return agent_id, token or self.api.create_token(agent_id)

    def holding(self, name: str, description: str) -> Held:
        """An agent with a capability of its own that has taken a new task (received it and
        had its acceptance acknowledged)."""
        cap = f"cap-{uid()}"
        agent = self.agent(name, [cap])
        task_id = self.api.submit_id(description, needed_capabilities=[cap])
        assign = agent.take()
        assert assign["task_id"] == task_id, assign
        return Held(agent, task_id, cap, assign)

    def owners_of_tasks(
        self, agents: list[WsClient], cap: str, count: int, label: str
    ) -> list[str | None]:
        """Submits ``count`` tasks needing ``cap`` one after another; each is taken and
        completed by the agent the hub chose. Returns the chosen agents' ids in order."""
        owners = []
        for n in range(count):
            task_id = self.api.submit_id(f"{label} {n}", needed_capabilities=[cap])
            task = self.api.wait_status(task_id, "assigned")
            owner = next(a for a in agents if a.agent_id == task["assigned_to"])
            assign = owner.take()
            assert owner.complete(task_id, assign["generation"])["status"] == "complete"
            owners.append(owner.agent_id)
        return owners

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
