"""One real sidecar process as an agent of the suite.

A :class:`SidecarProcess` makes its instance directory (:mod:`.instance`), writes
config.json, runs ``node index.js`` there through the library's one process helper
(:class:`~AgentComLibrary.util.child_process.ManagedProcess`: own process group, stop with grace,
kill of the group, exit-time cleanup), waits until the hub lists the agent, and answers the
agent-handle questions (what it received and completed) from the hub's records and its own
log (:mod:`.logformat`, tailed by :mod:`.tail`). Nothing here knows Robot Framework: a
``warn`` callback given by the keyword layer reports a log that cannot be read. POSIX only.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..agents.simulated import Received
from ..hubapi.task_record import TaskRecord
from ..observe.history import History
from ..util.child_process import ManagedProcess, log_tail
from ..util.masking import mask
from ..util.timeutil import Deadline, human, now_ms
from . import hub_records, logformat
from .checkout import NodeInfo, check_node, check_node_version, check_sidecar_dir
from .feed import LogFeeder, log_line
from .instance import (
    InstancePaths,
    mask_config_token,
    prepare_instance,
    scrub_tokens,
    watchdog_path,
    write_config,
)
from .logformat import LogEvent, LogShape, SidecarLogSummary
from .sidecar_errors import SidecarError, SidecarExited, SidecarNotConnected, SidecarNotIdentified
from .tail import LogTail
from .wake import BehaviourSetting, default_wake_command, parse_behaviour, write_behaviour

POLL = 0.1
STOP_GRACE = 5.0
LOG_TAIL_LINES = 25


class HubAccess(Protocol):
    """The hub calls a sidecar needs (:class:`~AgentComLibrary.hubapi.client.HubClient`
    has them; ``list_tasks`` and ``get_task`` are optional, for the hub-record checks)."""

    ws_url: str

    def create_token(self, agent_id: str) -> str: ...

    def agent_states(self) -> list[dict]: ...


class SidecarProcess:
    """One sidecar instance: its directory, config.json, node process and logs.

    Args:
        name: short name used in tests (``victim``).
        agent_id: the hub agent id (``smoke-<run>-<name>``).
        sidecar_dir: the checkout to copy.
        instance_dir: where this instance lives (created fresh by :meth:`start`).
        hub: hub access for the token, the connected check and hub records.
        capabilities: capabilities written to config.json.
        behaviour, delay: the wake behaviour (``succeed``, ``fail``, ``hang``, ``delay``).
        node: the Node.js executable.
        wake_command: overrides :func:`~.wake.default_wake_command`.
        confirmation_timeout_ms: written to config.json.
        extra_config: more config.json keys (``{"omit_generation": True}`` for the
            stand-in, ``{"log_level": "info"}``).
        watchdog: preload a script that ends the sidecar when this Python process is gone.
        run_id: the suite's run; the wake command leaves tasks of other runs alone.
        ws_url: the hub's WebSocket URL; default: ``hub.ws_url``.
        warn: called (once per problem) when the sidecar's log cannot be read and hub
            records are used instead.

    It is also an agent handle (``agents.simulated.AgentHandle``): ``connected``,
    ``completed_ids``, ``received_ids``, ``foreign_tasks``, ``stop`` and ``kill``.
    """

    def __init__(
        self,
        name: str,
        agent_id: str,
        sidecar_dir: str | os.PathLike,
        instance_dir: str | os.PathLike,
        hub: HubAccess,
        capabilities: Iterable[str] = (),
        behaviour: object = "succeed",
        delay: float = 1.0,
        node: str = "node",
        wake_command: str | None = None,
        confirmation_timeout_ms: int = 30000,
        extra_config: Mapping[str, Any] | None = None,
        watchdog: bool = True,
        run_id: str = "",
        ws_url: str = "",
        warn: Callable[[str], None] | None = None,
        history: History | None = None,
    ) -> None:
        self.name = name
        self.run_id = run_id
        self.ws_url = ws_url
        self.agent_id = agent_id
        self.sidecar_dir = Path(sidecar_dir)
        self.paths = InstancePaths(Path(instance_dir).resolve())
        self.dir = self.paths.dir
        self.hub = hub
        self.capabilities = list(capabilities)
        self.behaviour = BehaviourSetting(parse_behaviour(behaviour), float(delay), run_id)
        self.node = node
        self.wake_command = wake_command
        self.confirmation_timeout_ms = int(confirmation_timeout_ms)
        self.extra_config = dict(extra_config or {})
        self.watchdog = watchdog
        self.token = ""
        self.node_info: NodeInfo | None = None
        self.process: ManagedProcess | None = None
        self.connected_at: int | None = None
        self.connections: list[int] = []  # the hub's connected_at of each start
        self.started_ms = 0
        self._stopped = False
        self._warn = warn
        self._warned: set[str] = set()
        self._tail = LogTail({"log": self.paths.log, "foreign": self.paths.foreign})
        # what its log says it received, sent and was answered, as frames for the checker
        history = history if history is not None else History(f"sidecar {name}")
        self._feeder = LogFeeder(history, name, agent_id, self.capabilities)

    def __repr__(self) -> str:
        return f"SidecarProcess(name={self.name!r}, agent_id={self.agent_id!r}, pid={self.pid})"

    # -- paths -----------------------------------------------------------------------------

    @property
    def hub_ws_url(self) -> str:
        """The URL written to config.json ``hub_url``."""
        return self.ws_url or self.hub.ws_url

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def exit_codes(self) -> list[int]:
        return self.process.exit_codes if self.process else []

    # -- lifecycle -------------------------------------------------------------------------

    def config(self, token: str | None = None) -> dict:
        """The config.json content; ``token`` defaults to the masked one."""
        config = {
            "agent_id": self.agent_id,
            "token": mask(self.token) if token is None else token,
            "hub_url": self.hub_ws_url,
            "name": self.name,
            "capabilities": self.capabilities,
            "wake_command": self.wake_command or default_wake_command(self.dir),
            "results_dir": str(self.paths.results),
            "log_file": str(self.paths.log),
            "confirmation_timeout_ms": self.confirmation_timeout_ms,
            "log_level": "debug",  # later sidecars log task_ack at debug only
        }
        config.update(self.extra_config)
        return config

    def start(self, timeout: float = 30.0) -> SidecarProcess:
        """Check node and the checkout, make the instance dir, get a token, write
        config.json, start node and wait until the hub lists the agent."""
        self.node_info = check_node(self.node)
        source = check_sidecar_dir(self.sidecar_dir)
        check_node_version(self.node_info, source)
        self._stopped = False
        prepare_instance(source, self.dir)
        self.paths.results.mkdir(exist_ok=True)
        self.paths.home.mkdir(exist_ok=True)
        self.started_ms = now_ms()
        write_behaviour(self.dir, self.behaviour)
        self.token = self.hub.create_token(self.agent_id)
        self.process = ManagedProcess(
            f"Sidecar {self.name!r} ({self.agent_id})",
            self.command(),
            log_path=self.paths.process_log,
            cwd=self.dir,
            env=self._env(),
        )
        self._tail.start(self.name)
        try:
            self._launch(timeout)
        except BaseException:
            self.stop(grace=0)
            raise
        return self

    def command(self) -> list[str]:
        """The node command line (run in the instance directory)."""
        cmd = [self.node_info.path if self.node_info else self.node]
        if self.watchdog:
            cmd += ["--require", str(watchdog_path())]
        return [*cmd, "index.js"]

    def _env(self) -> dict[str, str]:
        # HOME of its own: later sidecars create ~/.agentcom/<agent>/workspaces at start.
        return dict(os.environ, AGENTCOM_PARENT_PID=str(os.getpid()), HOME=str(self.paths.home))

    def _launch(self, timeout: float) -> None:
        assert self.process is not None
        if self.process.running:
            raise SidecarError(f"Sidecar {self.name!r} is already running (pid {self.pid}).")
        previous = self._hub_state_field("connected_at")
        write_config(self.paths.config, self.config(self.token))
        try:
            self.process.start(timeout)
            state = self.wait_until_connected(timeout, not_before=previous)
            self.connections.append(int(state.get("connected_at") or now_ms()))
        except BaseException:
            self.process.kill()
            raise
        finally:
            mask_config_token(self.paths.config)  # node has read it by now (or is gone)

    def _hub_state(self) -> dict | None:
        for agent in self.hub.agent_states():
            if agent.get("agent_id") == self.agent_id:
                return agent
        return None

    def _hub_state_field(self, key: str) -> object:
        try:
            state = self._hub_state()
        except Exception:  # a hub that cannot answer: no previous connection to tell apart
            return None
        return state.get(key) if state else None

    def wait_until_connected(self, timeout: float = 30.0, not_before: object = None) -> dict:
        """Poll ``/api/agents/states`` until the agent is listed (with a ``connected_at``
        other than ``not_before``). Fails at once if node exits or the hub refuses the
        token; at the deadline with what the log shows (never opened, or opened and
        never identified with the hub's errors) and the last log lines."""
        deadline = Deadline(timeout)
        while True:
            code = self.process.exit_code() if self.process else None
            if code is not None:
                raise SidecarExited(
                    f"Sidecar {self.name!r} ({self.agent_id}) exited with code {code} at "
                    f"start, before it connected to {self.hub_ws_url}.\n"
                    f"Command: {shlex.join(self.command())} (in {self.dir})\n"
                    f"{self.describe_logs()}"
                )
            events = self._tail.events()
            refused = logformat.refusal(events)
            if refused:
                raise SidecarNotIdentified(
                    f"The hub refused sidecar {self.name!r} ({self.agent_id}): {refused}. "
                    f"Expected it to identify with the token {mask(self.token)} created "
                    f"for it.\n{self.describe_logs()}"
                )
            state = self._hub_state()
            if state is not None and (
                not_before is None or state.get("connected_at") != not_before
            ):
                self.connected_at = state.get("connected_at")
                return state
            if deadline.expired:
                raise self._not_connected(timeout, events)
            time.sleep(POLL)

    def _not_connected(self, timeout: float, events: list[LogEvent]) -> SidecarNotConnected:
        where = f"the hub at {self.hub_ws_url} does not list it in /api/agents/states"
        running = f"process {self.pid} is still running"
        if logformat.connection_state(events) == "open":
            errors = logformat.hub_error_lines(events)
            said = (
                f"its hub_error lines: {'; '.join(errors)}"
                if errors
                else "its log shows no hub_error line"
            )
            return SidecarNotIdentified(
                f"Sidecar {self.name!r} ({self.agent_id}) opened its WebSocket to "
                f"{self.hub_ws_url} but was not identified within {human(timeout)}: {where} "
                f"({said}; {running}).\n{self.describe_logs()}"
            )
        return SidecarNotConnected(
            f"Sidecar {self.name!r} ({self.agent_id}) did not connect within "
            f"{human(timeout)}: {where} ({running}).\n{self.describe_logs()}"
        )

    def kill(self) -> int | None:
        """SIGKILL the whole process group (a crash: the OS drops the TCP connection)."""
        code = self.process.kill() if self.process else None
        self.flush_history()
        self._feeder.end("kill")
        return code

    def flush_history(self) -> None:
        """Bring the test's history up to date with what the sidecar's log says it
        received, sent and was answered (see :mod:`.feed`); each line once."""
        self._feeder.feed(self._tail.events())

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM the group, SIGKILL it after ``grace`` seconds, and mask every trace of
        the token in the instance directory (it stays with the test output). Safe to call
        twice; a stopped sidecar cannot be restarted."""
        code = self.process.close(grace) if self.process else None
        self._stopped = True
        self._tail.close()
        self.flush_history()
        self._feeder.end("closed")
        mask_config_token(self.paths.config)
        if self.token:
            scrub_tokens(self.dir, [self.token])
        return code

    def restart(self, timeout: float = 30.0) -> None:
        """Start node again in the same directory (same config.json and queue.json)."""
        if self._stopped or self.process is None:
            raise SidecarError(f"Sidecar {self.name!r} was stopped; start a new one instead.")
        if self.running:
            raise SidecarError(
                f"Sidecar {self.name!r} is still running (pid {self.pid}); kill or stop it "
                "before restarting it."
            )
        self._launch(timeout)

    # -- behaviour and diagnostics ---------------------------------------------------------

    def set_behaviour(self, behaviour: object, delay: float | None = None) -> None:
        """Switch what the next wake command does (read at each run)."""
        new_delay = self.behaviour.delay if delay is None else float(delay)
        self.behaviour = BehaviourSetting(parse_behaviour(behaviour), new_delay, self.run_id)
        write_behaviour(self.dir, self.behaviour)

    def queue(self) -> dict:
        """The sidecar's queue.json (``{"active": ..., "recovering": ...}``)."""
        try:
            return json.loads(self.paths.queue.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"active": None, "recovering": None}

    def events(self) -> list[LogEvent]:
        """The sidecar log's event lines (either shape), each with its journal mark."""
        return self._tail.events()

    def log_shape(self) -> LogShape:
        return self._tail.log_shape()

    def summary(self, since: int = 0) -> SidecarLogSummary:
        return logformat.summarize(self.events(), since)

    def log_problem(self) -> str | None:
        """Why the log cannot tell what the sidecar completed (None when it can)."""
        shape = self.log_shape()
        if not shape.readable:
            return logformat.describe_unreadable(self.paths.log, shape)
        if not self.summary().acks_logged:
            return (
                f"the sidecar log {self.paths.log} shows task_complete lines but no task_ack "
                "line (expected task_ack lines, which later sidecars write at log_level debug "
                "only), so the hub's acknowledgements cannot be read from it"
            )
        return None

    def warn_once(self, key: str, message: str) -> None:
        """Report ``message`` through the ``warn`` callback, once per ``key``."""
        if key in self._warned:
            return
        self._warned.add(key)
        if self._warn is not None:
            self._warn(message)

    def _log_or_warn(self, what: str) -> bool:
        """True when the log can answer; else warn (once) that hub records answer ``what``."""
        problem = self.log_problem()
        if problem is None:
            return True
        self.warn_once(
            f"log:{what}",
            f"Sidecar '{self.name}' ({self.agent_id}): {problem}. Using the hub's records "
            f"for {what} instead.",
        )
        return False

    # -- agent handle ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The process runs and is identified (its log's last connection event, or the
        hub's agent list when the log cannot be read)."""
        if not self.running:
            return False
        if self.log_shape().readable:
            return logformat.connection_state(self.events()) == "identified"
        return self._hub_state_field("agent_id") == self.agent_id

    @property
    def state(self) -> str:
        """``identified``, ``connecting``, ``exited (code N)``, ``killed``, ``stopped`` or
        ``new``."""
        if self._stopped:
            return "stopped"
        if self.process is None:
            return "new"
        if self.process.popen is None:  # ended by kill() or stop(), or never started
            codes = self.exit_codes
            if not codes:
                return "new"
            return "killed" if codes[-1] == -signal.SIGKILL else f"exited (code {codes[-1]})"
        code = self.process.exit_code()
        if code is not None:
            return f"exited (code {code})"
        return "identified" if self.connected else "connecting"

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Poll ``predicate()`` until it is true or ``timeout`` seconds have passed."""
        deadline = Deadline(timeout)
        while not predicate():
            if deadline.expired:
                return False
            time.sleep(POLL)
        return True

    def completed_ids(self, since: int = 0) -> list[str]:
        """Tasks whose completion the hub acknowledged to this sidecar, from its log.

        When the log cannot show that (unknown shape, no ``task_ack`` lines), hub records
        answer instead, with a warning: completed tasks the hub credits to this agent since
        this instance started (``since`` is then not applied).
        """
        if self._log_or_warn("its completions"):
            return self.summary(since).acknowledged_completions
        return self.completed_ids_from_hub()

    def _tasks(self, **filters: str) -> list[TaskRecord]:
        list_tasks = getattr(self.hub, "list_tasks", None)
        if list_tasks is None:
            return []
        return [TaskRecord.parse(t) for t in list_tasks(**filters)]

    def completed_ids_from_hub(self) -> list[str]:
        """Completed tasks (hub records) credited to this agent since this instance started."""
        return hub_records.completed_by_agent(
            self._tasks(status="completed"), self.agent_id, self.started_ms
        )

    def received_ids(self, since: int = 0) -> list[str]:
        """Tasks the sidecar logged as received; from hub records (tasks assigned to this
        agent since it started) when its log cannot be read."""
        if self.log_shape().readable:
            return self.summary(since).received
        self._log_or_warn("the tasks it received")
        received = []
        for task in self._tasks():
            for event in task.assignments:
                if event.agent_id == self.agent_id and (event.timestamp or 0) >= self.started_ms:
                    received.append((event.timestamp or 0, task.id))
        return [task_id for _, task_id in sorted(received)]

    def rejection_of(self, task_id: str) -> str | None:
        """The log line (masked, as evidence) of the sidecar turning down an assignment of
        ``task_id`` because it was busy with another task, or None."""
        for event in reversed(self.events()):
            if event.name == "task_rejected" and event.task_id == task_id:
                return log_line(event)
        return None

    def received_tasks(self, since: int = 0) -> list[Received]:
        """The received tasks as journal entries; the sidecar log has no generations, so
        ``generation`` (and the times) are None/0 (``AgentHandle``)."""
        return [Received(task_id, None, None, 0) for task_id in self.received_ids(since)]

    def foreign_tasks(self, since: int = 0) -> list[dict]:
        """Tasks of another run that the wake command left alone."""
        return [
            {key: e.get(key) for key in ("task_id", "description", "metadata")}
            for e in self._tail.records("foreign")
            if e.get("_seq", 0) > since
        ]

    def recovery_answers(self, task_id: str | None = None) -> dict[str, list[str]]:
        """The hub's answers to ``task_recovering`` the log shows (``task_continue`` /
        ``task_reassign``)."""
        answers = self.summary().recovery_answers
        return answers if task_id is None else {task_id: answers.get(task_id, [])}

    def recovery_answer_from_hub(self, task_id: str) -> str | None:
        """The answer the hub's records imply for ``task_recovering`` of ``task_id`` sent
        after the latest restart (see :func:`.hub_records.recovery_answer`); None while the
        records cannot tell yet, or when the sidecar was never restarted."""
        get_task = getattr(self.hub, "get_task", None)
        if get_task is None or len(self.connections) < 2:
            return None
        return hub_records.recovery_answer(get_task(task_id), self.agent_id, self.connections[-1])

    def log_tail(self, path: Path | None = None, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of a log file (default: process.log), tokens masked."""
        return log_tail(path or self.paths.process_log, lines)

    def describe_logs(self) -> str:
        """Both logs' last lines, for failure messages."""
        return (
            f"Last lines of {self.paths.process_log} (node stdout/stderr):\n"
            f"{self.log_tail(self.paths.process_log)}\n"
            f"Last lines of {self.paths.log} (sidecar log):\n{self.log_tail(self.paths.log)}"
        )
