"""Fixtures for the hub's domain unit tests (no sockets, no event loop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from agentcom_hub.config import HubConfig
from agentcom_hub.faults import Fault
from agentcom_hub.hub import Hub
from agentcom_hub.scheduler import QueueIndex
from agentcom_hub.store import Store
from agentcom_hub.tasks import TaskQueue


class Clock:
    """A settable millisecond clock."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


@dataclass(eq=False)
class FakeConn:
    """A connection that records what the hub sends."""

    peer: str = "fake"
    agent_id: str | None = None
    sent: list[dict] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    def send(self, message: dict) -> None:
        self.sent.append(message)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.sent if m.get("type") == kind]

    def last(self) -> dict:
        return self.sent[-1]


class FakeTimers:
    """Collects call_later requests; ``fire_all`` runs the ones not cancelled."""

    class Handle:
        def __init__(self, callback, args) -> None:
            self.callback, self.args, self.cancelled = callback, args, False

        def cancel(self) -> None:
            self.cancelled = True

    def __init__(self) -> None:
        self.handles: list[FakeTimers.Handle] = []

    def __call__(self, delay, callback, *args):
        handle = FakeTimers.Handle(callback, args)
        self.handles.append(handle)
        return handle

    def pending(self) -> list[Handle]:
        return [h for h in self.handles if not h.cancelled]

    def fire_all(self) -> None:
        due, self.handles = self.pending(), []
        for handle in due:
            handle.callback(*handle.args)


@pytest.fixture
def fake_conn() -> type[FakeConn]:
    return FakeConn


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(clock: Clock) -> TaskQueue:
    return TaskQueue(Store.volatile(), QueueIndex(), clock=clock)


class HubKit:
    """A hub over a data dir with fake timers, plus helpers to connect agents."""

    def __init__(self, data_dir: Path, faults: tuple[Fault, ...] = (), **timers) -> None:
        self.data_dir = data_dir
        self.timers = FakeTimers()
        self.config = HubConfig(data_dir=data_dir, faults=frozenset(faults), **timers)
        self.hub = Hub(self.config, call_later=self.timers)

    def connect(self, agent_id: str, caps: list[str] | None = None) -> FakeConn:
        token = self.hub.tokens.create(agent_id)
        conn = FakeConn(peer=f"peer-{agent_id}")
        self.hub.opened(conn)
        self.hub.identify(
            conn,
            {"type": "identify", "agent_id": agent_id, "token": token, "capabilities": caps or []},
        )
        assert conn.sent[0] == {"type": "identified", "agent_id": agent_id}
        return conn

    def submit(self, description: str = "t", **fields) -> str:
        return self.hub.submit("tester", description=description, **fields).id

    def task(self, task_id: str) -> dict:
        return self.hub.tasks.get(task_id).to_dict()


@pytest.fixture
def kit(tmp_path: Path):
    made: list[HubKit] = []

    def make(*faults: Fault, **timers) -> HubKit:
        made.append(HubKit(tmp_path / "data", faults, **timers))
        return made[-1]

    yield make
    for k in made:
        k.hub.close()
