"""Real sidecar processes as agents: per-instance directory, config.json, the node process.

A :class:`SidecarProcess` copies a sidecar checkout (``index.js``, ``package.json``,
``node_modules``) into its own directory (the sidecar keeps ``config.json`` and
``queue.json`` beside ``index.js``), writes ``config.json``, starts ``node index.js`` in
its own process group with stdout/stderr to ``process.log``, and waits until the hub
lists the agent. :func:`summarize_log` reads the sidecar's JSON log for what it sent
and what the hub acknowledged. Nothing here knows Robot Framework. POSIX only.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..agents.simulated import Received, journal_mark
from ..sidecars.wake import (
    BEHAVIOUR_FILE,
    FOREIGN_FILE,
    JOURNAL_FILE,
    BehaviourSetting,
    parse_behaviour,
    write_behaviour,
)
from ..util.errors import AgentComError
from ..util.masking import mask, mask_text
from ..util.timeutil import Deadline, human, now_ms

POLL = 0.1
STOP_GRACE = 5.0
LOG_TAIL_LINES = 25
CONFIG_FILE = "config.json"
QUEUE_FILE = "queue.json"
SIDECAR_LOG = "sidecar.log"
PROCESS_LOG = "process.log"
RESULTS_DIR = "results"
WATCHDOG_FILE = ".agentcom-watchdog.js"
# Files of a checkout that belong to one instance and are never copied.
INSTANCE_FILES = {
    "node_modules", ".git", CONFIG_FILE, QUEUE_FILE, RESULTS_DIR, SIDECAR_LOG, PROCESS_LOG,
    WATCHDOG_FILE, BEHAVIOUR_FILE, JOURNAL_FILE, FOREIGN_FILE,
}  # fmt: skip
JOURNAL_POLL = 0.2

# Preloaded with `node --require`: ends the sidecar's whole process group when the
# runner that started it is gone, so a killed test run leaves no node process behind.
WATCHDOG_JS = """'use strict';
// Written by AgentComLibrary. Not part of the sidecar.
const parent = Number(process.env.AGENTCOM_PARENT_PID || 0);
if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if (err.code !== 'ESRCH') return;
      try { process.kill(-process.pid, 'SIGKILL'); } catch (_) { /* not a group leader */ }
      process.exit(1);
    }
  }, 1000).unref();
}
"""

_LIVE: set[SidecarProcess] = set()
_LIVE_LOCK = threading.Lock()


class SidecarError(AgentComError):
    """A sidecar could not be prepared, started or reached."""


class NodeNotFound(SidecarError):
    """No usable ``node`` executable."""


class SidecarDirInvalid(SidecarError):
    """``SIDECAR_DIR`` is not a sidecar checkout."""


class DependenciesMissing(SidecarError):
    """``npm install`` has not been run in the checkout."""


class SidecarExited(SidecarError):
    """The node process ended while it was expected to run."""


class SidecarNotConnected(SidecarError):
    """The hub never listed the sidecar's agent as connected."""


class HubAccess(Protocol):
    """The hub calls a sidecar needs (``hub_client.HubClient`` has them)."""

    ws_url: str

    def create_token(self, agent_id: str) -> str: ...

    def agent_states(self) -> list[dict]: ...


# -- checks before a start ---------------------------------------------------------------


def check_node(node: str = "node") -> tuple[str, str]:
    """The resolved path and version of the Node.js executable, or :class:`NodeNotFound`."""
    path = shutil.which(node)
    if path is None:
        raise NodeNotFound(
            f"Node.js is needed to run real sidecars, but the executable {node!r} was not "
            "found (expected `node` on PATH, Node.js 18 or newer). Install Node.js, or run "
            "without SIDECAR_DIR to skip the real-sidecar tests."
        )
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise NodeNotFound(
            f"The Node.js executable {path} does not run (`{path} --version`: {error})."
        ) from None
    return path, out.stdout.strip()


def check_sidecar_dir(sidecar_dir: str | os.PathLike) -> Path:
    """The checkout as an absolute path, after checking index.js, package.json and that
    every dependency in package.json is installed in node_modules."""
    if not str(sidecar_dir).strip():
        raise SidecarDirInvalid(
            "No sidecar checkout given: set SIDECAR_DIR "
            "(`--variable SIDECAR_DIR:/path/to/sidecar`) or pass sidecar_dir=."
        )
    path = Path(sidecar_dir).expanduser().resolve()
    if not path.is_dir():
        raise SidecarDirInvalid(f"SIDECAR_DIR {path} is not a directory.")
    missing = [name for name in ("index.js", "package.json") if not (path / name).is_file()]
    if missing:
        raise SidecarDirInvalid(
            f"SIDECAR_DIR {path} is not a sidecar checkout: expected index.js and "
            f"package.json, missing {', '.join(missing)}."
        )
    try:
        package = json.loads((path / "package.json").read_text(encoding="utf-8"))
    except ValueError as error:
        raise SidecarDirInvalid(f"{path / 'package.json'} is not valid JSON: {error}") from None
    deps = sorted((package.get("dependencies") or {}).keys())
    absent = [dep for dep in deps if not (path / "node_modules" / dep).exists()]
    if absent:
        where = "node_modules/ does not exist" if not (path / "node_modules").is_dir() else (
            f"node_modules/ lacks {', '.join(absent)}"
        )  # fmt: skip
        raise DependenciesMissing(
            f"The sidecar's dependencies are not installed in {path}: package.json needs "
            f"{', '.join(deps)} but {where}. Run `npm install` (or `npm ci`) in {path} first."
        )
    return path


def prepare_instance(source: Path, dest: Path) -> None:
    """A fresh copy of the checkout in ``dest``; node_modules is a symlink to the source's.

    Instance files (config.json, queue.json, results, logs) are never copied, so an
    instance never inherits another one's queue.
    """
    source, dest = Path(source).resolve(), Path(dest).resolve()
    if dest.exists():
        shutil.rmtree(dest)

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == source
        skipped = set()
        for name in names:
            if top and (name in INSTANCE_FILES or name.endswith(".log")):
                skipped.add(name)
            elif dest.is_relative_to((Path(directory) / name).resolve()):
                skipped.add(name)  # the instances live inside the checkout: no recursion
        return skipped

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    if (source / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)


def default_wake_command(instance_dir: Path, python: str = sys.executable) -> str:
    """``python -m AgentComLibrary.sidecars.wake --agent-dir DIR --task-id ${TASK_ID}``."""
    base = shlex.join(
        [python, "-m", "AgentComLibrary.sidecars.wake", "--agent-dir", str(instance_dir)]
    )
    return base + " --task-id ${TASK_ID}"


# -- the sidecar's own log -----------------------------------------------------------------


@dataclass
class SidecarLogSummary:
    """What one sidecar's JSON log says it did (over all its process lifetimes).

    ``format`` is ``stand-in`` (tests/sidecar_standin), ``production`` (the AgentCom
    sidecar's structured log; its ``task_ack`` lines are written at ``log_level`` debug
    only, which the launcher sets) or ``unknown`` (no JSON event lines: nothing counted).
    """

    format: str = "unknown"
    received: list[str] = field(default_factory=list)
    sent_completions: list[str] = field(default_factory=list)
    acknowledged_completions: list[str] = field(default_factory=list)
    rejected_completions: list[tuple[str, str]] = field(default_factory=list)
    sent_failures: list[str] = field(default_factory=list)
    rejected_assignments: list[str] = field(default_factory=list)
    recovering: list[str] = field(default_factory=list)
    recovery_answers: dict[str, list[str]] = field(default_factory=dict)
    hub_errors: list[str] = field(default_factory=list)
    starts: int = 0


def read_log_events(path: Path) -> list[dict]:
    """The JSON event lines of a sidecar log (other lines are skipped)."""
    events = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return events
    for line in text.splitlines():
        event = _json_line(line)
        if event is not None and isinstance(event.get("message"), str):
            events.append(event)
    return events


def summarize_log(events: Iterable[Mapping[str, Any]], since: int = 0) -> SidecarLogSummary:
    """Reduce log events to a :class:`SidecarLogSummary`.

    With ``since``, only events whose ``_seq`` (a journal mark given when the line was
    read) is larger are counted; earlier events still pair reports with answers.

    A completion counts as acknowledged when a ``task_ack`` for the task with status
    ``complete`` follows it, or (production sidecar, whose ``task_ack`` line has no
    status) any ``task_ack`` for a task whose last event was a sent completion. Hub
    errors without a task id are tied to the oldest report still unanswered, since the
    hub answers in order on one connection.
    """
    summary = SidecarLogSummary()
    pending: list[tuple[str, str]] = []  # (task_id, "complete" | "failed"), oldest first
    seen_any = False
    for event in events:
        seen_any = True
        name = event.get("message")
        task_id = event.get("task_id")
        if event.get("client") == "sidecar-standin":
            summary.format = "stand-in"
        if event.get("_seq", 1) <= since:
            _pair_only(pending, name, task_id, event)
            continue
        if name == "startup":
            summary.starts += 1
            pending.clear()
        elif name == "ws_close":
            pending.clear()
        elif name == "task_received" and task_id:
            summary.received.append(task_id)
        elif name == "task_complete" and task_id:
            summary.sent_completions.append(task_id)
            pending.append((task_id, "complete"))
        elif name == "task_failed" and task_id:
            summary.sent_failures.append(task_id)
            pending.append((task_id, "failed"))
        elif name == "task_ack" and task_id:
            _ack(summary, pending, task_id, event.get("status"))
        elif name == "hub_error":
            _hub_error(summary, pending, str(event.get("error", "")), task_id)
        elif name == "task_rejected" and task_id:
            summary.rejected_assignments.append(task_id)
        elif name == "recovery_reporting" and task_id:
            summary.recovering.append(task_id)
        elif name in ("recovery_continued", "recovery_reassigned") and task_id:
            answer = "task_continue" if name == "recovery_continued" else "task_reassign"
            summary.recovery_answers.setdefault(task_id, []).append(answer)
    if seen_any and summary.format == "unknown":
        summary.format = "production"
    return summary


def _pair_only(pending: list, name: object, task_id: object, event: Mapping) -> None:
    """Keep the report/answer pairing up to date for an event that is not counted."""
    scratch = SidecarLogSummary()
    if name in ("startup", "ws_close"):
        pending.clear()
    elif name == "task_complete" and task_id:
        pending.append((task_id, "complete"))
    elif name == "task_failed" and task_id:
        pending.append((task_id, "failed"))
    elif name == "task_ack" and task_id:
        _ack(scratch, pending, str(task_id), event.get("status"))
    elif name == "hub_error":
        _hub_error(scratch, pending, str(event.get("error", "")), event.get("task_id"))


def _ack(summary: SidecarLogSummary, pending: list, task_id: str, status: object) -> None:
    waiting = [i for i, (tid, _) in enumerate(pending) if tid == task_id]
    if status == "accepted" or (status is None and not waiting):
        return  # the answer to task_accepted
    if waiting:
        _, kind = pending.pop(waiting[0])
        if status == "complete" or (status is None and kind == "complete"):
            summary.acknowledged_completions.append(task_id)


def _hub_error(summary, pending: list, error: str, task_id: str | None) -> None:
    summary.hub_errors.append(error)
    kind = ("complete" if error.startswith("task_complete_failed")
            else "failed" if error.startswith("task_fail_failed") else None)  # fmt: skip
    if kind is None:
        return
    for index, (tid, sent) in enumerate(pending):
        if sent == kind and (task_id is None or tid == task_id):
            pending.pop(index)
            if kind == "complete":
                summary.rejected_completions.append((tid, error))
            return


class _Journal:
    """Tails JSON-lines files (the sidecar log, the wake command's foreign-task file).

    Every line read gets a journal mark in ``_seq`` (the same counter as simulated
    agents' journals), so ``since`` queries split events into before and during a test.
    A daemon thread reads every 0.2 s; queries read what is new first.
    """

    def __init__(self, paths: Mapping[str, Path]) -> None:
        self._paths = dict(paths)
        self._offsets = dict.fromkeys(self._paths, 0)
        self._partial = dict.fromkeys(self._paths, b"")
        self._events: dict[str, list[dict]] = {kind: [] for kind in self._paths}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"sidecar-log-{name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)
        self.refresh()

    def _run(self) -> None:
        while not self._stop.wait(JOURNAL_POLL):
            with contextlib.suppress(Exception):
                self.refresh()

    def refresh(self) -> None:
        with self._lock:
            for kind, path in self._paths.items():
                try:
                    with open(path, "rb") as handle:
                        handle.seek(self._offsets[kind])
                        data = handle.read()
                except OSError:
                    continue
                self._offsets[kind] += len(data)
                data = self._partial[kind] + data
                complete, _, self._partial[kind] = data.rpartition(b"\n")
                for line in complete.splitlines():
                    event = _json_line(line.decode("utf-8", errors="replace"))
                    if event is not None:
                        event["_seq"] = journal_mark()
                        self._events[kind].append(event)

    def events(self, kind: str) -> list[dict]:
        self.refresh()
        with self._lock:
            return list(self._events[kind])


def _json_line(line: str) -> dict | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


# -- one sidecar process -------------------------------------------------------------------


class SidecarProcess:
    """One sidecar instance: its directory, config.json, node process and logs.

    Args:
        name: short name used in tests (``victim``).
        agent_id: the hub agent id (``smoke-<run>-<name>``).
        sidecar_dir: the checkout to copy.
        instance_dir: where this instance lives (created fresh by :meth:`start`).
        hub: hub access for the token and the connected check.
        capabilities: capabilities written to config.json.
        behaviour, delay: the wake behaviour (``succeed``, ``fail``, ``hang``, ``delay``).
        node: the Node.js executable.
        wake_command: overrides :func:`default_wake_command`.
        confirmation_timeout_ms: written to config.json.
        extra_config: more config.json keys (e.g. ``{"omit_generation": True}`` for the
            stand-in, ``{"log_level": "info"}``).
        watchdog: preload a script that ends the sidecar when this Python process is gone.
        run_id: the suite's run; the wake command leaves tasks of other runs alone.
        ws_url: the hub's WebSocket URL; default: ``hub.ws_url``.

    It is also an agent handle (``agent.AgentHandle``): ``connected``, ``completed_ids``,
    ``received_ids``, ``foreign_tasks``, ``stop`` and ``kill``, read from its own log.
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
    ) -> None:
        self.name = name
        self.run_id = run_id
        self.ws_url = ws_url
        self.agent_id = agent_id
        self.sidecar_dir = Path(sidecar_dir)
        self.dir = Path(instance_dir).resolve()
        self.hub = hub
        self.capabilities = list(capabilities)
        self.behaviour = BehaviourSetting(parse_behaviour(behaviour), float(delay), run_id)
        self.node = node
        self.wake_command = wake_command
        self.confirmation_timeout_ms = int(confirmation_timeout_ms)
        self.extra_config = dict(extra_config or {})
        self.watchdog = watchdog
        self.token = ""
        self.process: subprocess.Popen | None = None
        self.pgid: int | None = None
        self.connected_at: object = None
        self.exit_codes: list[int] = []
        self._process_log = None
        self.node_path = ""
        self.started_ms = 0
        self._stopped = False
        self._journal = _Journal({"log": self.log_path, "foreign": self.dir / FOREIGN_FILE})

    def __repr__(self) -> str:
        pid = self.process.pid if self.process else None
        return f"SidecarProcess(name={self.name!r}, agent_id={self.agent_id!r}, pid={pid})"

    # -- paths -----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.dir / CONFIG_FILE

    @property
    def queue_path(self) -> Path:
        return self.dir / QUEUE_FILE

    @property
    def log_path(self) -> Path:
        """The sidecar's own event log (config.json ``log_file``)."""
        return self.dir / SIDECAR_LOG

    @property
    def process_log_path(self) -> Path:
        """stdout and stderr of the node process."""
        return self.dir / PROCESS_LOG

    @property
    def results_dir(self) -> Path:
        return self.dir / RESULTS_DIR

    @property
    def hub_ws_url(self) -> str:
        """The URL written to config.json ``hub_url``."""
        return self.ws_url or self.hub.ws_url

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- lifecycle -------------------------------------------------------------------------

    def config(self) -> dict:
        """The config.json content (with the whole token: never log it unmasked)."""
        config = {
            "agent_id": self.agent_id,
            "token": self.token,
            "hub_url": self.hub_ws_url,
            "name": self.name,
            "capabilities": self.capabilities,
            "wake_command": self.wake_command or default_wake_command(self.dir),
            "results_dir": str(self.results_dir),
            "log_file": str(self.log_path),
            "confirmation_timeout_ms": self.confirmation_timeout_ms,
            "log_level": "debug",
        }
        config.update(self.extra_config)
        return config

    def start(self, timeout: float = 30.0) -> SidecarProcess:
        """Check node and the checkout, make the instance dir, get a token, write
        config.json, start node and wait until the hub lists the agent."""
        self.node_path, _ = check_node(self.node)
        source = check_sidecar_dir(self.sidecar_dir)
        self._stopped = False
        prepare_instance(source, self.dir)
        self.results_dir.mkdir(exist_ok=True)
        self._journal = _Journal({"log": self.log_path, "foreign": self.dir / FOREIGN_FILE})
        self.started_ms = now_ms()
        write_behaviour(self.dir, self.behaviour)
        self.token = self.hub.create_token(self.agent_id)
        self._write_config()
        try:
            self._launch(timeout)
        except BaseException:
            self.stop(grace=0)
            raise
        return self

    def _write_config(self) -> None:
        """Write config.json atomically, readable by its owner only (it holds the token)."""
        tmp = self.config_path.with_name(f".{CONFIG_FILE}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(self.config(), indent=2))
        os.replace(tmp, self.config_path)

    def _scrub_token(self) -> None:
        if not self.token or not self.config_path.exists():
            return
        with contextlib.suppress(OSError, ValueError):
            config = json.loads(self.config_path.read_text(encoding="utf-8"))
            config["token"] = mask(self.token)
            self.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def command(self) -> list[str]:
        """The node command line (run in the instance directory)."""
        cmd = [self.node_path or self.node]
        if self.watchdog:
            cmd += ["--require", f"./{WATCHDOG_FILE}"]
        return [*cmd, "index.js"]

    def _launch(self, timeout: float) -> None:
        if self.running:
            raise SidecarError(f"Sidecar {self.name!r} is already running (pid {self.pid}).")
        if self.watchdog:
            (self.dir / WATCHDOG_FILE).write_text(WATCHDOG_JS, encoding="utf-8")
        previous = self._current_connected_at()
        if self._process_log is None:
            self._process_log = open(self.process_log_path, "ab")  # noqa: SIM115 (closed in stop)
        env = dict(os.environ, AGENTCOM_PARENT_PID=str(os.getpid()))
        with _LIVE_LOCK:
            _LIVE.add(self)
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=self._process_log,
            stderr=self._process_log,
            env=env,
            start_new_session=True,  # own process group: kill() ends node and its wakes
        )
        self.pgid = self.process.pid
        self._journal.start(self.name)
        try:
            self.wait_until_connected(timeout, not_before=previous)
        except BaseException:
            self._end(signal.SIGKILL, 0)
            raise

    def _current_connected_at(self) -> object:
        with contextlib.suppress(Exception):
            state = self._hub_state()
            return state.get("connected_at") if state else None
        return None

    def _hub_state(self) -> dict | None:
        for agent in self.hub.agent_states():
            if agent.get("agent_id") == self.agent_id:
                return agent
        return None

    def wait_until_connected(self, timeout: float = 30.0, not_before: object = None) -> dict:
        """Poll ``/api/agents/states`` until the agent is listed (with a ``connected_at``
        other than ``not_before``). Fails at once if node exits or the hub refuses the
        token; at the deadline with the last log lines."""
        deadline = Deadline(timeout)
        while True:
            if self.process is not None and self.process.poll() is not None:
                code = self.process.returncode
                raise SidecarExited(
                    f"Sidecar {self.name!r} ({self.agent_id}) exited with code {code} at "
                    f"start, before it connected to {self.hub_ws_url}.\n"
                    f"Command: {shlex.join(self.command())} (in {self.dir})\n"
                    f"{self.describe_logs()}"
                )
            refused = self._refusal()
            if refused:
                raise SidecarNotConnected(
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
                raise SidecarNotConnected(
                    f"Sidecar {self.name!r} ({self.agent_id}) did not connect within "
                    f"{human(timeout)}: the hub at {self.hub_ws_url} does not list it in "
                    f"/api/agents/states (process {self.pid} is still running).\n"
                    f"{self.describe_logs()}"
                )
            time.sleep(POLL)

    def _refusal(self) -> str | None:
        """The hub's refusal of the identify, if the current process's log shows one."""
        for event in reversed(self.events()):
            if event["message"] == "startup":
                return None
            error = str(event.get("error", ""))
            if event["message"] == "hub_error" and error in (
                "invalid_token",
                "token_agent_mismatch",
            ):
                return error
        return None

    def kill(self) -> int | None:
        """SIGKILL the whole process group (a crash: the OS drops the TCP connection)."""
        return self._end(signal.SIGKILL, 0)

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM the group, SIGKILL it after ``grace`` seconds, and mask the token in
        config.json (the instance directory stays with the test output). Safe to call
        twice; a stopped sidecar cannot be restarted."""
        code = self._end(signal.SIGTERM, grace)
        self._stopped = True
        self._scrub_token()
        self._journal.close()
        if self._process_log is not None:
            self._process_log.close()
            self._process_log = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return code

    def restart(self, timeout: float = 30.0) -> None:
        """Start node again in the same directory (same config.json and queue.json)."""
        if self._stopped:
            raise SidecarError(f"Sidecar {self.name!r} was stopped; start a new one instead.")
        if self.running:
            raise SidecarError(
                f"Sidecar {self.name!r} is still running (pid {self.pid}); kill or stop it "
                "before restarting it."
            )
        self._launch(timeout)

    def _end(self, sig: signal.Signals, grace: float) -> int | None:
        """Signal the group, wait ``grace`` seconds (SIGTERM) and SIGKILL what is left."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal_group(sig)
            try:
                process.wait(grace if sig != signal.SIGKILL else 10.0)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                process.wait()
        # Anything left in the group (a pending ``delay`` wake) ends with it.
        self._signal_group(signal.SIGKILL)
        code = process.returncode
        self.exit_codes.append(code)
        self.process = None
        return code

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.pgid is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)

    # -- behaviour and diagnostics ---------------------------------------------------------

    def set_behaviour(self, behaviour: object, delay: float | None = None) -> None:
        """Switch what the next wake command does (read at each run)."""
        new_delay = self.behaviour.delay if delay is None else float(delay)
        self.behaviour = BehaviourSetting(parse_behaviour(behaviour), new_delay, self.run_id)
        write_behaviour(self.dir, self.behaviour)

    def queue(self) -> dict:
        """The sidecar's queue.json (``{"active": ..., "recovering": ...}``)."""
        try:
            return json.loads(self.queue_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"active": None, "recovering": None}

    def events(self) -> list[dict]:
        """The sidecar log's JSON events, each with its journal mark ``_seq``."""
        return [e for e in self._journal.events("log") if isinstance(e.get("message"), str)]

    def summary(self, since: int = 0) -> SidecarLogSummary:
        return summarize_log(self.events(), since)

    # -- agent handle ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The process runs and its last connection event is ``identified``."""
        if not self.running:
            return False
        for event in reversed(self.events()):
            if event["message"] == "identified":
                return True
            if event["message"] in ("ws_close", "startup"):
                return False
        return False

    @property
    def state(self) -> str:
        """``identified``, ``connecting``, ``exited (code N)``, ``killed``, ``stopped`` or
        ``new``."""
        if self.process is None:
            if self._stopped:
                return "stopped"
            if not self.exit_codes:
                return "new"
            return "killed" if self.exit_codes[-1] == -signal.SIGKILL else "exited"
        code = self.process.poll()
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
        """Tasks whose completion the hub acknowledged to this sidecar (from its log).

        When the log format is unknown, falls back to hub records: completed tasks whose
        last assignment went to this agent after this instance started (``since`` is
        then not applied).
        """
        summary = self.summary(since)
        if summary.format != "unknown":
            return summary.acknowledged_completions
        return self.completed_ids_from_hub()

    def completed_ids_from_hub(self) -> list[str]:
        """Completed tasks (hub records) last assigned to this agent since its start."""
        list_tasks = getattr(self.hub, "list_tasks", None)
        if list_tasks is None:
            return []
        done = []
        for task in list_tasks(status="completed"):
            assigned = [h for h in task.get("history", []) if h.get("event") == "assigned"]
            last = assigned[0].get("details") if assigned else None  # newest first
            if (
                isinstance(last, dict)
                and last.get("agent_id") == self.agent_id
                and ((task.get("updated_at") or 0) >= self.started_ms)
            ):
                done.append(task["id"])
        return done

    def received_ids(self, since: int = 0) -> list[str]:
        return self.summary(since).received

    def received_tasks(self, since: int = 0) -> list[Received]:
        """The received tasks as journal entries; the sidecar log has no generations, so
        ``generation`` (and the times) are None/0 (``AgentHandle``)."""
        return [Received(task_id, None, None, 0) for task_id in self.received_ids(since)]

    def foreign_tasks(self, since: int = 0) -> list[dict]:
        """Tasks of another run that the wake command left alone."""
        return [
            {key: e.get(key) for key in ("task_id", "description", "metadata")}
            for e in self._journal.events("foreign")
            if e.get("_seq", 0) > since
        ]

    def recovery_answers(self, task_id: str | None = None) -> dict[str, list[str]]:
        """The hub's answers to ``task_recovering`` (``task_continue``/``task_reassign``)."""
        answers = self.summary().recovery_answers
        return answers if task_id is None else {task_id: answers.get(task_id, [])}

    def log_tail(self, path: Path | None = None, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of a log file (default: process.log), tokens masked."""
        target = path or self.process_log_path
        try:
            text = target.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        tail = text.splitlines()[-lines:]
        return mask_text("\n".join(tail)) if tail else "(log is empty)"

    def describe_logs(self) -> str:
        """Both logs' last lines, for failure messages."""
        return (
            f"Last lines of {self.process_log_path} (node stdout/stderr):\n"
            f"{self.log_tail(self.process_log_path)}\n"
            f"Last lines of {self.log_path} (sidecar log):\n{self.log_tail(self.log_path)}"
        )


@atexit.register
def _stop_all() -> None:
    """Last resort when the interpreter exits with sidecars still running."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sidecar in live:
        with contextlib.suppress(Exception):
            sidecar.stop(grace=1.0)
