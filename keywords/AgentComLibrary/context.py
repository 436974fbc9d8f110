"""State shared by the keyword components: configuration, hub session, agents, current test."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .agents.simulated import AgentHandle
from .hubapi.client import HubClient, HubError
from .hubapi.embedded import EmbeddedHub
from .hubapi.launcher import HubLauncher, HubProcessExited
from .hubapi.record_cache import TaskRecords
from .hubapi.task_record import TaskRecord
from .hubapi.timers import HubTimers
from .observe.history import History, journal_mark
from .pool.registry import PoolRegistry
from .report.probes_panel import ProbeCheck
from .util.errors import AgentComError
from .util.formatting import known_names

LOG = logging.getLogger(__name__)


class NoSession(AgentComError):
    """A keyword needs an open hub session and there is none."""


class UnknownAgent(AgentComError):
    """No running agent has that short name."""


class DuplicateAgent(AgentComError):
    """An agent with that short name is already running."""


@dataclass
class LibraryConfig:
    """The import arguments, converted (durations in seconds; see the library's `Timeouts`)."""

    hub_url: str = ""
    bootstrap_token: str = ""
    hub_faults: list[str] = field(default_factory=list)
    allow_foreign_tasks: bool = False
    timeout: float = 30.0  # the default of every wait keyword's ``timeout``
    connect_timeout: float = 30.0  # hub start, agent identify, sidecar connect
    reply_timeout: float = 30.0  # one HTTP request, or the hub's answer to one report
    poll_interval: float = 0.1
    sidecar_dir: str = ""
    # a hub the library starts from a command (see docs/managed-hub.md)
    hub_command: str = ""
    hub_token_file: str = ""
    hub_token_command: str = ""
    hub_cwd: str = ""
    hub_ports: str = ""  # e.g. 4400-4499: the ports a HUB_COMMAND hub may get; empty: any
    hub_timers: str = ""  # name=duration,... for a hub whose timers the library cannot set


@dataclass
class HubSession:
    """One open hub: its client, the hub process the library started if any (embedded or
    ``HUB_COMMAND``), its timers, and the run id."""

    client: HubClient
    run_id: str
    ws_url: str
    managed: HubLauncher | None = None
    token_owners: list[str] = field(default_factory=list)  # agent ids we created tokens for
    timers: HubTimers = field(default_factory=HubTimers)
    suite_run_id: str = ""  # the run id of the suite that joined last (new_run)

    def __post_init__(self) -> None:
        self.suite_run_id = self.suite_run_id or self.run_id

    @property
    def url(self) -> str:
        return self.client.base_url

    @property
    def embedded(self) -> EmbeddedHub | None:
        """The embedded hub, when the session's hub is the embedded one."""
        return self.managed if isinstance(self.managed, EmbeddedHub) else None

    def check_hub_process(self) -> None:
        """Fail (and stop the run) once when the hub the library started has exited."""
        hub = self.managed
        if hub is None or hub.reported:
            return
        message = hub.exited_message()
        if message:
            hub.reported = True
            raise HubProcessExited(message)

    def new_run(self) -> str:
        """Give the session a fresh run id for a suite that joins it (each suite on a shared
        hub gets its own, so a task one suite left queued needs a capability no agent of the
        next suite has); the run's metadata counts these."""
        self.run_id = self.suite_run_id = new_run_id()
        return self.run_id

    def new_test_run(self) -> str:
        """A fresh run id for the next test of the same suite (agent names, capability), so
        a task one test left queued is never handed to the next test's agents. The suite's
        run id (``suite_run_id``, the one the metadata shows) stays."""
        self.run_id = new_run_id()
        return self.run_id

    @property
    def capability(self) -> str:
        return f"smoke-{self.run_id}"

    def agent_id(self, name: str) -> str:
        return f"smoke-{self.run_id}-{name}"

    # -- tokens: every token the library makes is made, remembered and revoked here --------

    def create_token(self, agent_id: str) -> str:
        """A new token for ``agent_id``, remembered so it is revoked when the session closes
        (on an external hub). Returned whole: callers must not log it."""
        token = self.client.create_token(agent_id)
        self.token_owners.append(agent_id)
        return token

    def revoke_tokens(self, agent_id: str) -> Any:
        """Revoke every token of ``agent_id`` and forget it; returns the hub's answer."""
        body = self.client.revoke_tokens(agent_id)
        while agent_id in self.token_owners:
            self.token_owners.remove(agent_id)
        return body

    def revoke_all_tokens(self) -> list[str]:
        """Revoke the tokens of every agent id remembered; notes on those that failed."""
        notes = []
        for agent_id in dict.fromkeys(self.token_owners):
            try:
                self.revoke_tokens(agent_id)
            except HubError as error:
                notes.append(f"could not revoke the tokens of {agent_id}: {error}")
        return notes


@dataclass
class TestState:
    """What belongs to the running test; reset when a test starts."""

    name: str = ""
    mark: int = 0  # journal sequence at the start of the test
    attempted: int = 0
    submitted: list[str] = field(default_factory=list)
    cursors: dict[str, int] = field(default_factory=dict)  # agent name -> tasks returned
    history: History = field(
        default_factory=lambda: History("(outside a test)")
    )  # what the checker judges
    judged: bool = False  # Contract Should Hold ran (or was switched off) for this test
    records: TaskRecords = field(default_factory=TaskRecords)  # see LibraryContext.tasks
    final_tasks: list[TaskRecord] | None = None  # as Log Test Summary read them at the end
    probe_checks: list[ProbeCheck] = field(default_factory=list)  # the probe keywords' checks
    # the contract checker's outcome, for metrics.json (keywords/contract.py)
    verdict: dict[str, Any] = field(default_factory=lambda: {"state": "not run"})

    def used_the_hub(self, agents: AgentRoster) -> bool:
        """Whether the test submitted tasks or had agents: then its history must be judged."""
        return bool(self.submitted or agents.all())


class AgentRoster:
    """Agents by short name. Stopped agents stay listed as retired until the next test,
    so their completions still count in the checks of the test that stopped them."""

    def __init__(self) -> None:
        self.active: dict[str, AgentHandle] = {}
        self.retired: list[AgentHandle] = []

    def add(self, agent: AgentHandle) -> None:
        if agent.name in self.active:
            raise DuplicateAgent(f"An agent named '{agent.name}' is already running.")
        self.active[agent.name] = agent

    def get(self, name: str) -> AgentHandle:
        if name not in self.active:
            running = known_names(self.active)
            raise UnknownAgent(f"No agent named '{name}' is running (running: {running}).")
        return self.active[name]

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
        self._session: HubSession | None = None
        self._on_session_opened: list[Callable[[HubSession], None]] = []
        self._announced: set[tuple[int, str]] = set()  # (session, run id) told to callbacks
        self.session_owner = ""  # who opened or entered the current session (a suite name)
        # (session, owner) set aside by a nested open (`Open Private Hub Session`, `Join Hub
        # Session`), innermost last; session None where none was open
        self.outer_sessions: list[tuple[HubSession | None, str]] = []
        self.agents = AgentRoster()
        self.pools = PoolRegistry()  # agent pools on other hosts (keywords/network.py)
        self.test = TestState(records=TaskRecords(self.hub_epoch))
        self.earlier_tasks: set[str] = set()  # submitted by earlier tests of this session
        self._on_agents_stopped: list[Callable[[], None]] = []

    @property
    def session(self) -> HubSession | None:
        return self._session

    @session.setter
    def session(self, value: HubSession | None) -> None:
        """Setting a new session, or a session under a new run id (a suite joining the
        run's hub), tells the callbacks of :meth:`on_session_opened`; going back to one
        already told about does not."""
        self._session = value
        if value is None or (id(value), value.suite_run_id) in self._announced:
            return
        self._announced.add((id(value), value.suite_run_id))
        for callback in list(self._on_session_opened):
            try:
                callback(value)
            except Exception as error:  # reporting on a session must not break it
                LOG.debug("session-opened callback %r failed: %s", callback, error)

    def on_session_opened(self, callback: Callable[[HubSession], None]) -> None:
        """Call ``callback`` with every session that is opened (the run's metadata)."""
        self._on_session_opened.append(callback)

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
        history = History(name)
        self.test = TestState(
            name=name, mark=journal_mark(), history=history, records=TaskRecords(self.hub_epoch)
        )
        if self.session is not None:
            self.session.client.observer = history.http
            # each test its own run id (agent names, capability): a task an earlier test
            # left queued needs a capability no agent of this test has, so one test's
            # leftovers never fail the next (unless agents carry over from it: they keep it)
            if not self.agents.active:
                self.session.new_test_run()

    def hub_epoch(self) -> tuple[int, int, int]:
        """Changes when the hub's state may have changed: an event of the test's history
        that goes with a change (see ``history.changes_state``), another session, or a
        restart of the embedded hub (a new pid)."""
        session = self.session
        pid = session.managed.pid if session is not None and session.managed else 0
        return (self.test.history.changes, id(session), pid)

    def tasks(self, task_ids: Iterable[str]) -> dict[str, TaskRecord | None]:
        """The hub's record of each task (None: unknown), in the order given, read once per
        state of the test (see ``hubapi.record_cache``): what every check and the teardown read."""
        return self.test.records.fetch(self.client, task_ids)

    def submitted_tasks(self) -> list[TaskRecord]:
        """The hub's records of the tasks this test submitted (those the hub knows)."""
        return [t for t in self.tasks(self.test.submitted).values() if t is not None]

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

    def agent_reports(self) -> dict[str, list[str]]:
        """Short name -> tasks it sent ``task_complete`` for in this test, answered or not
        (agents that keep a journal of their reports; real sidecars do not)."""
        result: dict[str, list[str]] = {}
        for agent in self.agents.all():
            reported = getattr(agent, "reported_complete_ids", None)
            if reported is not None:
                result.setdefault(agent.name, []).extend(reported(self.test.mark))
        return result

    def foreign_tasks(self) -> list[tuple[str, dict]]:
        """(agent name, task) for every task of another run handed to our agents."""
        return [
            (agent.name, task)
            for agent in self.agents.all()
            for task in agent.foreign_tasks(self.test.mark)
        ]

    def foreign_failure(self) -> str:
        """The failure text when tasks of another run were handed to this run's agents,
        else an empty string (the waits and the listener's end of test both fail on it)."""
        foreign = self.foreign_tasks()
        return foreign_message(foreign) if foreign else ""

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

    def open_session(self, session: HubSession, owner: str = "") -> None:
        """Make ``session`` the current one in place of the current one (close that first)."""
        self.session, self.session_owner = session, owner

    def enter_session(self, session: HubSession, owner: str = "") -> None:
        """Make ``session`` the current one and keep the current one (maybe the same) to
        come back to with :meth:`leave_session`."""
        self.outer_sessions.append((self.session, self.session_owner))
        self.session, self.session_owner = session, owner

    def leave_session(self) -> list[str]:
        """Stop agents, close the current session unless the outer one is the same
        session (a joined one), and make the outer one current again. Without an outer
        one this closes the session like :meth:`close_session`. Returns notes."""
        if not self.outer_sessions:
            return self.close_session()
        outer, owner = self.outer_sessions.pop()
        if outer is self.session:
            self.stop_agents()
            notes = []
        else:
            notes = self.close_current()
        self.session, self.session_owner = outer, owner
        return notes

    def close_session(self) -> list[str]:
        """Close every session, the nested ones and those set aside. Safe to call twice."""
        notes = self.close_current()
        while self.outer_sessions:
            outer, _ = self.outer_sessions.pop()
            if outer is not None:
                self.session = outer
                notes += self.close_current()
        return notes

    def close_current(self) -> list[str]:
        """Stop agents, revoke the tokens made on an external hub, stop the hub the library
        started for the current session; none is current afterwards.

        Returns notes about anything that did not go cleanly. Safe to call twice.
        """
        notes: list[str] = []
        self.stop_agents()
        session, self.session = self.session, None
        self.session_owner = ""
        if session is None or any(outer is session for outer, _ in self.outer_sessions):
            return notes
        hub = session.managed
        if hub is None:
            notes += session.revoke_all_tokens()
        session.client.close()
        if hub is not None:
            with contextlib.suppress(Exception):
                died, reported = hub.exit_code() is not None, hub.reported
                code = hub.stop()
                if reported:
                    pass  # the keyword that found it dead said so already
                elif died:
                    notes.append(
                        f"{hub.name} had exited by itself with code {code}; its last log "
                        f"lines:\n{hub.final_log}"
                    )
                elif code not in (0, None) and code != -15 and code != 143:
                    notes.append(
                        f"{hub.name} exited with code {code} on SIGTERM; its last log "
                        f"lines:\n{hub.final_log}"
                    )
        return notes


def new_run_id() -> str:
    """A run id: 8 hex characters."""
    return secrets.token_hex(4)


def foreign_message(foreign: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    """The failure text for tasks of another run handed to this run's agents."""
    items = [
        f"{task.get('task_id')} '{task.get('description')}' to '{agent}' "
        f"(smoke_run {(task.get('metadata') or {}).get('smoke_run')!r})"
        for agent, task in foreign
    ]
    return (
        "The hub is shared: it assigned tasks of another run to this run's agents, which left "
        f"them alone: {'; '.join(items)}. Run on a hub of your own, or drain those tasks."
    )
