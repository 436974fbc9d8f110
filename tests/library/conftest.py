"""Fixtures for the keyword library's tests: one shared embedded hub, agents, a library."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from AgentComLibrary import AgentComLibrary, embedded_hub
from AgentComLibrary.agent import SimulatedAgent
from AgentComLibrary.behaviours import Behaviour
from AgentComLibrary.embedded_hub import EmbeddedHub
from AgentComLibrary.hub_client import HubClient

# Shared hub timers: short enough that acceptance-timeout tests finish quickly.
ACCEPTANCE_TIMEOUT = "1500ms"
FULL_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, step: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


def hub_processes_of(parent_pid: int) -> list[int]:
    """Live (not zombie) hub processes started with ``--parent-pid parent_pid``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split()[2]
        except OSError:
            continue
        if b"agentcom_hub" in argv and state != "Z":
            with contextlib.suppress(ValueError, IndexError):
                if argv[argv.index(b"--parent-pid") + 1] == str(parent_pid).encode():
                    found.append(int(proc.name))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leftovers() -> Iterator[None]:
    """After all tests: no hub process of ours and no hub temp dir of ours is left."""
    yield
    assert not embedded_hub._LIVE, f"hubs not stopped: {embedded_hub._LIVE}"
    wait_until(lambda: not hub_processes_of(os.getpid()), timeout=10)
    leftover = [t for t in threading.enumerate() if t.name.startswith("agent-") and t.is_alive()]
    assert not leftover, f"agent threads still running: {leftover}"


@pytest.fixture(scope="session")
def hub(no_leftovers) -> Iterator[EmbeddedHub]:
    """One embedded hub for the whole session (tests isolate by run id)."""
    hub = EmbeddedHub(options=["--acceptance-timeout", ACCEPTANCE_TIMEOUT]).start()
    yield hub
    hub.stop()


@pytest.fixture
def client(hub: EmbeddedHub) -> Iterator[HubClient]:
    client = HubClient(hub.url, hub.token)
    yield client
    client.close()


@pytest.fixture
def run_id() -> str:
    return secrets.token_hex(4)


class Agents:
    """Creates simulated agents of one run and stops them all at the end of the test."""

    def __init__(self, hub: EmbeddedHub, client: HubClient, run_id: str) -> None:
        self.hub, self.client, self.run_id = hub, client, run_id
        self.started: list[SimulatedAgent] = []

    def agent_id(self, name: str) -> str:
        return f"smoke-{self.run_id}-{name}"

    def new(self, name: str, behaviour: Behaviour = Behaviour.COMPLETE, **kwargs) -> SimulatedAgent:
        agent_id = self.agent_id(name)
        agent = SimulatedAgent(
            name,
            agent_id,
            self.client.create_token(agent_id),
            self.hub.ws_url,
            self.run_id,
            capabilities=[f"smoke-{self.run_id}"],
            behaviour=behaviour,
            **kwargs,
        )
        self.started.append(agent)
        return agent

    def start(self, name: str, behaviour: Behaviour = Behaviour.COMPLETE, **kwargs):
        return self.new(name, behaviour, **kwargs).start()

    def submit(self, description: str = "task", run: str | None = None, **fields) -> str:
        run = run or self.run_id
        body = {
            "description": description,
            "needed_capabilities": [f"smoke-{self.run_id}"],
            "metadata": {"smoke_run": run},
            **fields,
        }
        return self.client.submit_task(body)["task_id"]

    def task(self, task_id: str) -> dict:
        return self.client.get_task(task_id)

    def wait_status(self, task_id: str, status: str, timeout: float = 15.0) -> dict:
        return wait_until(
            lambda: (t := self.task(task_id))["status"] == status and t, timeout=timeout
        )

    def stop_all(self) -> None:
        for agent in self.started:
            agent.stop()


@pytest.fixture
def agents(hub: EmbeddedHub, client: HubClient, run_id: str) -> Iterator[Agents]:
    helper = Agents(hub, client, run_id)
    yield helper
    helper.stop_all()


@pytest.fixture
def lib(hub: EmbeddedHub) -> Iterator[AgentComLibrary]:
    """The library with an open session on the shared hub (as an external hub)."""
    library = AgentComLibrary(hub_url=hub.url, bootstrap_token=hub.token, timeout=_td(15))
    library.ctx.start_test("pytest")
    library.open_hub_session()
    yield library
    library.close()


@pytest.fixture
def robot_log() -> Iterator[list[tuple[str, str]]]:
    """Every message the library writes through ``robot.api.logger`` as (level, text).

    Outside a Robot run, ``robot.api.logger`` writes to the Python logger "RobotFramework".
    """
    messages: list[tuple[str, str]] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            level = {"WARNING": "WARN"}.get(record.levelname, record.levelname)
            messages.append((level, record.getMessage()))

    robot_logger = logging.getLogger("RobotFramework")
    handler, old_level = Recorder(level=1), robot_logger.level
    robot_logger.addHandler(handler)
    robot_logger.setLevel(1)
    yield messages
    robot_logger.removeHandler(handler)
    robot_logger.setLevel(old_level)


def _td(seconds: float):
    from datetime import timedelta

    return timedelta(seconds=seconds)
