"""State shared by the keyword components: configuration, hub session, agents, current test."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from .agents.simulated import AgentHandle, journal_mark
from .checker import history as hist
from .hubapi.client import HubClient, HubError
from .hubapi.embedded import EmbeddedHub
from .util.errors import AgentComError

LOG = logging.getLogger(__name__)


class NoSession(AgentComError):
    """A keyword needs an open hub session and there is none."""


class UnknownAgent(AgentComError):
    """No running agent has that short name."""


@dataclass
class LibraryConfig:
    """The import arguments, converted."""

    hub_url: str = ""
    bootstrap_token: str = ""
    hub_faults: list[str] = field(default_factory=list)
    allow_foreign_tasks: bool = False
    timeout: float = 30.0
    poll_interval: float = 0.1
    sidecar_dir: str = ""


@dataclass
class HubSession:
    """One open hub: its client, the embedded process if any, and the run id."""

    client: HubClient
    run_id: str
    ws_url: str
    embedded: EmbeddedHub | None = None
    token_owners: list[str] = field(default_factory=list)  # agent ids we created tokens for

    @property
    def url(self) -> str:
        return self.client.base_url

    @property
    def capability(self) -> str:
        return f"smoke-{self.run_id}"

    def agent_id(self, name: str) -> str:
        return f"smoke-{self.run_id}-{name}"


@dataclass
class TestState:
    """What belongs to the running test; reset when a test starts."""

    name: str = ""
    mark: int = 0  # journal sequence at the start of the test
    attempted: int = 0
    submitted: list[str] = field(default_factory=list)
    cursors: dict[str, int] = field(default_factory=dict)  # agent name -> tasks returned
    history: hist.History = field(default_factory=hist.History)  # what the checker judges


class AgentRegistry:
    """Agents by short name. Stopped agents stay listed as retired until the next test,
    so their completions still count in the checks of the test that stopped them."""

    def __init__(self) -> None:
        self.active: dict[str, AgentHandle] = {}
        self.retired: list[AgentHandle] = []

    def add(self, agent: AgentHandle) -> None:
        if agent.name in self.active:
            raise ValueError(f"An agent named '{agent.name}' is already running.")
        self.active[agent.name] = agent

    def get(self, name: str) -> AgentHandle:
        try:
            return self.active[name]
        except KeyError:
            known = ", ".join(sorted(self.active)) or "none"
            raise UnknownAgent(f"No agent named '{name}' is running (running: {known}).") from None

    def retire(self, name: str) -> AgentHandle:
        agent = self.get(name)
        del self.active[name]
        self.retired.append(agent)
        return agent

    def all(self) -> list[AgentHandle]:
        """Active agents, then the ones retired during this test."""
        return [*self.active.values(), *self.retired]


class LibraryContext:
    """Everything the keyword components share."""

    def __init__(self, config: LibraryConfig) -> None:
        self.config = config
        self.session: HubSession | None = None
        self.agents = AgentRegistry()
        self.test = TestState()
        self.earlier_tasks: set[str] = set()  # submitted by earlier tests of this session
        self._on_agents_stopped: list[Callable[[], None]] = []

    def require_session(self) -> HubSession:
        if self.session is None:
            raise NoSession("No hub session is open: call 'Open Hub Session' first.")
        return self.session

    @property
    def client(self) -> HubClient:
        return self.require_session().client

    # -- per test --------------------------------------------------------------------------

    def start_test(self, name: str) -> None:
        self.earlier_tasks.update(self.test.submitted)
        self.agents.retired.clear()
        history = hist.begin(name)
        self.test = TestState(name=name, mark=journal_mark(), history=history)
        if self.session is not None:
            self.session.client.observer = history.http

    def agent_names(self) -> dict[str, str]:
        """Hub agent id -> short name, for every agent of this test."""
        return {agent.agent_id: agent.name for agent in self.agents.all()}

    def completions(self, agent: AgentHandle) -> list[str]:
        """Task ids whose completion ``agent`` had acknowledged during this test
        (tasks of earlier tests finishing late are left out)."""
        return [t for t in agent.completed_ids(self.test.mark) if t not in self.earlier_tasks]

    def agent_completions(self) -> dict[str, list[str]]:
        """Short name -> completions in this test (an agent started twice counts once)."""
        result: dict[str, list[str]] = {}
        for agent in self.agents.all():
            result.setdefault(agent.name, []).extend(self.completions(agent))
        return result

    def foreign_tasks(self) -> list[tuple[str, dict]]:
        """(agent name, task) for every task of another run handed to our agents."""
        return [
            (agent.name, task)
            for agent in self.agents.all()
            for task in agent.foreign_tasks(self.test.mark)
        ]

    # -- shutdown --------------------------------------------------------------------------

    def on_agents_stopped(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the test's agents are stopped (e.g. to close probe
        connections). Registering the same callback twice keeps one."""
        if callback not in self._on_agents_stopped:
            self._on_agents_stopped.append(callback)

    def agents_stopped(self) -> None:
        """Run the callbacks of :meth:`on_agents_stopped`."""
        for callback in list(self._on_agents_stopped):
            try:
                callback()
            except Exception as error:  # one failing hook must not stop the others
                LOG.debug("agents-stopped callback %r failed: %s", callback, error)

    def stop_agents(self) -> None:
        self.agents_stopped()
        for name in list(self.agents.active):
            agent = self.agents.retire(name)
            try:
                agent.stop()
            except Exception as error:  # keep stopping the others
                LOG.debug("stopping agent %s failed: %s", name, error)

    def close_session(self) -> list[str]:
        """Stop agents, revoke the tokens made on an external hub, stop the embedded hub.

        Returns notes about anything that did not go cleanly. Safe to call twice.
        """
        notes: list[str] = []
        self.stop_agents()
        session, self.session = self.session, None
        if session is None:
            return notes
        if session.embedded is None:
            for agent_id in dict.fromkeys(session.token_owners):
                try:
                    session.client.revoke_tokens(agent_id)
                except HubError as error:
                    notes.append(f"could not revoke the tokens of {agent_id}: {error}")
        session.client.close()
        if session.embedded is not None:
            with contextlib.suppress(Exception):
                code = session.embedded.stop()
                if code not in (0, None):
                    notes.append(
                        f"the embedded hub exited with code {code} on SIGTERM; its last log "
                        f"lines:\n{session.embedded.final_log}"
                    )
        return notes
