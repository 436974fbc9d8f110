"""A hub the library starts, restarts and stops: any command that runs a hub in the
foreground (``HUB_COMMAND``), the embedded hub being one such command (``embedded.py``).

One start: a fresh run directory ``agentcom-hub-*`` (``owner.json``, ``hub.log``, and the
hub's ``state/``, the ``{state_dir}`` of the command), a free port (``{port}``), the token
command if any (run once, in the fresh state, before the first start), the command in a
process group of its own with stdout and stderr in ``hub.log``, then a wait until
``GET /health`` answers 200 (or the ready file is written) and the token is known. A
watchdog process (``util/watchdog.py``) ends the hub and removes the run directory if the
runner dies without doing it; the hub and its descendants carry ``AGENTCOM_HUB_MARK``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..util.child_process import STOP_GRACE, LastResort, ManagedProcess, log_tail
from ..util.choices import RestartMode
from ..util.errors import AgentComError
from ..util.masking import mask, mask_text
from ..util.timeutil import human
from ..util.watchdog import MARK_ENV, Watchdog, end_all
from .rundirs import new_hub_dir
from .timers import HubTimers

TOKEN_ENV = "AGENTCOM_TOKEN"
_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")
_PLACEHOLDER = re.compile(r"\{(port|state_dir|host)\}")
READY_POLL = 0.01  # reading a ready file is cheap: the embedded hub is up in about 0.3 s
HEALTH_POLL = 0.05  # a GET /health each time
HEALTH_TIMEOUT = 1.0
TAIL = 12  # log lines in a failure message (Robot cuts long messages)
LINE = 200  # characters of each

_LIVE = LastResort(lambda hub: hub.stop())  # hubs still running when the interpreter exits


class HubLaunchError(AgentComError):
    """The hub's command could not be started, exited, or did not answer in time."""


class HubProcessExited(AgentComError):
    """The hub the library started exited during the run: the run cannot go on."""

    ROBOT_EXIT_ON_FAILURE = True


@dataclass(frozen=True)
class TokenSource:
    """Where the bootstrap token comes from.

    ``kind`` is ``file`` (``value``: a path template, read once the hub answers), ``command``
    (``value``: a shell command run in the fresh state before the first start; its stdout
    holds the 64-hex token), ``ready`` (the ready file's ``token``: the embedded hub) or
    ``given`` (``value``: the token itself, e.g. from ``AGENTCOM_TOKEN``).
    """

    kind: str
    value: str = ""

    def describe(self) -> str:
        if self.kind == "given":
            return f"token given ({mask(self.value) or 'empty'})"
        return f"token from {self.kind} {self.value}".rstrip()


def parse_ports(text: str) -> range | None:
    """``4400-4499`` (or one port) as a range; empty: None (any free port)."""
    text = text.strip()
    if not text:
        return None
    low, _, high = text.partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise HubLaunchError(f"HUB_PORTS '{text}' is not a port range like 4400-4499.") from None
    if not 0 < first <= last < 65536:
        raise HubLaunchError(f"HUB_PORTS '{text}' is not a port range like 4400-4499.")
    return range(first, last + 1)


PORT_ATTEMPTS = 3  # a hub start that lost its port to another process, tried on another
# what a hub's log says when its port is taken: Python's errno text, Erlang's reason
_PORT_TAKEN = ("address already in use", "eaddrinuse")


def port_was_taken(error: str) -> bool:
    """Whether a failed start's error (with the hub's last log lines) says that the hub
    could not bind its port because another process had it."""
    text = error.lower()
    return any(sign in text for sign in _PORT_TAKEN)


def free_port(host: str, ports: range | None = None) -> int:
    """A port that is free on ``host`` now (the hub binds it a moment later): any, or one
    of ``ports`` tried in random order."""
    candidates = [0] if ports is None else random.sample(list(ports), len(ports))
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise HubLaunchError(f"No free port on {host} in {ports.start}-{ports.stop - 1}.")


def fill(template: str, values: Mapping[str, str], quote: bool) -> str:
    """``template`` with ``{port}``, ``{state_dir}`` and ``{host}`` replaced (shell-quoted
    when ``quote``); other braces, e.g. a shell's ``${HOME}``, stay as they are."""
    return _PLACEHOLDER.sub(
        lambda m: shlex.quote(values[m.group(1)]) if quote else values[m.group(1)], template
    )


class HubLauncher:
    """One hub process started from a command template, with fresh state per :meth:`start`.

    Example::

        hub = HubLauncher("my-hub --port {port} --data {state_dir}",
                          token=TokenSource("file", "{state_dir}/bootstrap.token")).start()
        hub.url, hub.token          # http://127.0.0.1:<port>, the bootstrap token
        hub.restart("kill")         # same port, same state
        hub.restart(fresh=True)     # same port, fresh state (a new token)
        hub.stop()                  # SIGTERM, grace, SIGKILL; the run directory is removed
    """

    name = "The hub command"

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        token: TokenSource,
        host: str = "127.0.0.1",
        cwd: str = "",
        ready_file: bool = False,
        start_timeout: float = 30.0,
        timers: HubTimers | None = None,
        ports: range | None = None,
    ) -> None:
        self.template = command
        self.ports = ports
        self.token_source = token
        self.host = host or "127.0.0.1"
        self.cwd_template = cwd
        self.uses_ready_file = ready_file
        self.start_timeout = start_timeout
        self.timers = timers or HubTimers()
        self.faults: list[str] = []
        self.process: ManagedProcess | None = None
        self.tmp_dir: Path | None = None
        self.port = 0
        self.lost_ports: list[int] = []  # ports a start lost to another process (wait_started)
        self.url = self.ws_url = self.token = ""
        self.pid = 0
        self.final_log = ""  # the log's last lines, kept when stop() removes the run dir
        self.reported = False  # the keyword that found it dead said so (HubProcessExited)
        self._watchdog = Watchdog()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(url={self.url!r}, pid={self.pid}, token={mask(self.token)!r})"
        )

    # -- paths -----------------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        return self._in_tmp("state")

    @property
    def ready_file(self) -> Path:
        return self._in_tmp("ready.json")

    @property
    def log_path(self) -> Path:
        return self._in_tmp("hub.log")

    def _in_tmp(self, name: str) -> Path:
        """``name`` in the hub's run directory (there is none before start)."""
        if self.tmp_dir is None:
            raise HubLaunchError(f"{self.name} has not been started.")
        return self.tmp_dir / name

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def connect_host(self) -> str:
        """Where the library reaches the hub: its bind address (loopback for a wildcard)."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    # -- the command -----------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        return {"port": str(self.port), "state_dir": str(self.state_dir), "host": self.host}

    def command(self) -> list[str]:
        """The argv of the hub process: a string template runs in ``/bin/sh -c``."""
        if isinstance(self.template, str):
            return ["/bin/sh", "-c", fill(self.template, self.values(), quote=True)]
        return [fill(part, self.values(), quote=False) for part in self.template]

    def shown_command(self) -> str:
        """The command as logs show it (tokens masked)."""
        cmd = self.command()
        text = cmd[2] if cmd[:2] == ["/bin/sh", "-c"] else shlex.join(cmd)
        return mask_text(text)

    def cwd(self) -> Path:
        if not self.cwd_template:
            return self.state_dir
        return Path(fill(self.cwd_template, self.values(), quote=False))

    def env(self) -> dict[str, str]:
        assert self.tmp_dir is not None
        return {**os.environ, MARK_ENV: self.tmp_dir.name}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> HubLauncher:
        """Start the hub with fresh state and wait until it answers; fails with the last
        lines of its log (tokens masked) when it exits or does not answer in time."""
        return self.begin().wait_started()

    def begin(self) -> HubLauncher:
        """Start the hub process with fresh state and return at once; `wait_started` then
        waits until it answers. A hub begun and never waited for is stopped like any other
        (`stop`, or at the interpreter's exit)."""
        if self.running:
            raise HubLaunchError(f"{self.name} is already running at {self.url}.")
        self.tmp_dir = new_hub_dir()  # removes the dirs of killed runners (hubapi/rundirs.py)
        self.state_dir.mkdir()
        _LIVE.add(self)
        try:
            self._watchdog.start(self.tmp_dir, self.tmp_dir.name)
            self.port = self.port or free_port(self.connect_host, self.ports)
            self.url = f"http://{self.connect_host}:{self.port}"
            self.ws_url = f"ws://{self.connect_host}:{self.port}/ws"
            self.token = self._first_token()
            self._spawn()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_started(self) -> HubLauncher:
        """Wait until the hub `begin` started answers; on failure (it exited, or did not
        answer within ``start_timeout``) it is stopped and the error says why.

        A hub that exited because its port was taken (another process bound the port
        between `free_port` and the hub's own bind) is begun again on another port, up
        to ``PORT_ATTEMPTS`` times in all; ``lost_ports`` lists the ports it lost."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._wait_ready()
                return self
            except HubLaunchError as error:
                self.stop()
                if attempt == PORT_ATTEMPTS or not port_was_taken(str(error)):
                    raise
            except BaseException:
                self.stop()
                raise
            self.lost_ports.append(self.port)
            self.port = 0
            self.begin()
        return self  # not reached: the last attempt returned or raised

    def _first_token(self) -> str:
        source = self.token_source
        if source.kind == "given":
            return source.value
        if source.kind != "command":
            return ""
        command = fill(source.value, self.values(), quote=True)
        try:
            done = subprocess.run(
                ["/bin/sh", "-c", command],
                cwd=self.cwd(),
                env=self.env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.start_timeout,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            raise HubLaunchError(
                f"The token command did not finish within {human(self.start_timeout)}: "
                f"{mask_text(command)}"
            ) from None
        output = done.stdout.decode(errors="replace")
        found = _TOKEN.findall(output)
        if done.returncode != 0 or not found:
            what = f"exited with code {done.returncode}" if done.returncode else "printed no"
            what += " token" if done.returncode == 0 else ""
            errors = done.stderr.decode(errors="replace")
            tail = "\n".join((output + errors).splitlines()[-TAIL:]) or "(no output)"
            raise HubLaunchError(
                f"The token command {what} (64 hex characters expected on its stdout): "
                f"{mask_text(command)}\nIts last output lines:\n{mask_text(tail)}"
            )
        return found[-1]

    def _launch(self) -> None:
        self._spawn()
        self._wait_ready()

    def _spawn(self) -> None:
        self.process = ManagedProcess(
            self.name, self.command(), log_path=self.log_path, cwd=self.cwd(), env=self.env()
        )
        if self.uses_ready_file:
            with contextlib.suppress(FileNotFoundError):
                self.ready_file.unlink()
        try:
            self.process.start()  # no wait: the wait below says what was missing
        except AgentComError as error:
            raise HubLaunchError(f"{error}\nCommand: {self.shown_command()}") from None
        self.pid = self.process.pid or 0
        self.reported = False
        self._watchdog.track(self.pid)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        missing = "no ready file yet" if self.uses_ready_file else "no answer at GET /health yet"
        while True:
            code = self.process.exit_code() if self.process else None
            if code is not None:
                raise HubLaunchError(
                    f"{self.name} exited with code {code} before it was ready ({missing}).\n"
                    f"Command: {self.shown_command()}\n{self._tail_text()}"
                )
            missing = self._ready()
            if not missing:
                return
            if time.monotonic() > deadline:
                what = "write its ready file" if self.uses_ready_file else "get ready"
                raise HubLaunchError(
                    f"{self.name} did not {what} within {human(self.start_timeout)} "
                    f"({missing}).\nCommand: {self.shown_command()}\n{self._tail_text()}"
                )
            time.sleep(READY_POLL if self.uses_ready_file else HEALTH_POLL)

    def _ready(self) -> str:
        """What is still missing before the hub can be used ('' when nothing)."""
        if self.uses_ready_file:
            try:
                ready = json.loads(self.ready_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return f"no ready file {self.ready_file}"
            self.url, self.ws_url = ready["url"], ready["ws_url"]
            self.token = ready.get("token", self.token)
            self.pid = int(ready.get("pid", self.pid))
            return ""
        status = _health_status(f"{self.url}/health")
        if status != 200:
            return f"GET {self.url}/health: {status}"
        if self.token_source.kind == "file":
            path = Path(fill(self.token_source.value, self.values(), quote=False))
            try:
                found = _TOKEN.findall(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                found = []
            if not found:
                return f"GET /health answered 200, but {path} holds no token yet"
            self.token = found[-1]
        return ""

    def stop(self) -> int | None:
        """Stop the hub (SIGTERM to its process group, SIGKILL after 5 s, then whatever
        still carries its mark), remove its run directory and dismiss the watchdog.

        Returns the exit code, or None if it was not running. Safe to call twice.
        """
        code = self._end(RestartMode.TERMINATE)
        if self.tmp_dir is not None:
            end_all(None, self.tmp_dir.name, grace=1.0)  # descendants that left the group
            self.final_log = self.log_tail()
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None
        self._watchdog.dismiss()
        _LIVE.discard(self)
        return code

    def restart(self, mode: RestartMode | str = RestartMode.KILL, fresh: bool = False) -> None:
        """Kill or terminate the hub, start it again on the same port: on the same state,
        or with ``fresh`` on an empty state directory (as a new hub starts: the token
        command runs again, a token file or ready file is read anew)."""
        mode = RestartMode(mode) if isinstance(mode, str) else mode
        if self.tmp_dir is None:
            raise HubLaunchError(f"{self.name} has not been started.")
        self._end(mode)
        if fresh:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir.mkdir()
            self.token = self._first_token()
        self._launch()

    def _end(self, mode: RestartMode) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if mode is RestartMode.KILL:
            code = process.kill()
            process.close()
            return code
        return process.close(STOP_GRACE)

    # -- a hub that died -------------------------------------------------------------------

    def exit_code(self) -> int | None:
        """The exit code when the hub process has ended by itself, else None."""
        return self.process.exit_code() if self.process is not None else None

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for a hub that is going down to exit; its code."""
        return self.process.wait(timeout) if self.process is not None else None

    def exited_message(self) -> str:
        """What to say when the hub process is gone ('' while it runs)."""
        code = self.exit_code()
        if code is None:
            return ""
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return (
            f"{self.name} at {self.url} (pid {self.pid}) {how} during the run; the run "
            f"cannot go on.\nCommand: {self.shown_command()}\n{self._tail_text()}"
        )

    # -- diagnostics -----------------------------------------------------------------------

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the hub's log, tokens masked."""
        if self.tmp_dir is None:
            return "(no log)"
        return log_tail(self.log_path, lines)

    def _tail_text(self) -> str:
        lines = [
            line if len(line) <= LINE else line[:LINE] + "..."
            for line in self.log_tail(TAIL).splitlines()
        ]
        return f"Last lines of its log ({self.log_path}):\n" + "\n".join(lines)


def _health_status(url: str) -> int | str:
    """The HTTP status of ``GET url``, or why there was none."""
    import http.client  # here: the library's import begins the embedded hub before these
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(request, timeout=HEALTH_TIMEOUT) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError, http.client.HTTPException) as error:
        # HTTPException: e.g. a port of the ephemeral range that nothing listens on yet can
        # connect to itself (TCP self-connect) and read back its own request
        reason = getattr(error, "reason", error)
        return f"no answer ({type(error).__name__}: {reason})"
