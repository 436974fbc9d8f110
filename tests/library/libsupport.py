"""Helpers shared by the library tests (importable by name, unlike conftest)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

from AgentComLibrary.agents.simulated import SimulatedAgent
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from AgentComLibrary.util.choices import Behaviour
from polling import poll

# Shared hub timers: short enough that acceptance-timeout tests finish quickly.
ACCEPTANCE_TIMEOUT = "1500ms"
FULL_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, step: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    value = poll(predicate, timeout, step)
    if not value:
        raise AssertionError(f"condition not met within {timeout} s")
    return value


# EmbeddedHub puts its data dir in a temp dir with this prefix.
EMBEDDED_DIR_PREFIX = b"/agentcom-hub-"


def hub_processes_of(parent_pid: int) -> list[int]:
    """Live (not zombie) hub processes that the library's ``EmbeddedHub`` started with
    ``--parent-pid parent_pid`` (other test packages' own hubs are theirs to check)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split()[2]
        except OSError:
            continue
        embedded = any(EMBEDDED_DIR_PREFIX in arg for arg in argv)
        if b"agentcom_hub" in argv and embedded and state != "Z":
            with contextlib.suppress(ValueError, IndexError):
                if argv[argv.index(b"--parent-pid") + 1] == str(parent_pid).encode():
                    found.append(int(proc.name))
    return found


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
        return dict(self.client.get_task(task_id).raw)

    def wait_status(self, task_id: str, status: str, timeout: float = 15.0) -> dict:
        return wait_until(
            lambda: (t := self.task(task_id))["status"] == status and t, timeout=timeout
        )

    def stop_all(self) -> None:
        for agent in self.started:
            agent.stop()
