"""The embedded reference hub as a subprocess: start, wait ready, stop, restart, clean up."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ..util.choices import RestartMode
from ..util.errors import AgentComError
from ..util.masking import mask
from ..util.process import STOP_GRACE, LastResort, ManagedProcess, ProcessError, log_tail
from ..util.stale import new_hub_dir

BOOTSTRAP_AGENT = "smoke-admin"

_LIVE = LastResort(lambda hub: hub.stop())  # hubs still running when the interpreter exits


class EmbeddedHubError(AgentComError):
    """The hub process could not be started or did not get ready."""


def hub_command(
    data_dir: Path,
    ready_file: Path,
    *,
    port: int = 0,
    faults: Sequence[str] = (),
    options: Sequence[str] = (),
    bootstrap_agent: str | None = None,
    parent_pid: int | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The command line of one ``python -m agentcom_hub`` on 127.0.0.1 that writes its ready
    file and stops by itself when ``parent_pid`` (default: this process) is gone."""
    cmd = [
        python, "-m", "agentcom_hub",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--data-dir", str(data_dir),
        "--ready-file", str(ready_file),
        "--parent-pid", str(os.getpid() if parent_pid is None else parent_pid),
    ]  # fmt: skip
    if bootstrap_agent:
        cmd += ["--bootstrap-agent", bootstrap_agent]
    for fault in faults:
        cmd += ["--fault", fault]
    return cmd + list(options)


class EmbeddedHub:
    """One ``python -m agentcom_hub`` process with its own temporary data directory.

    After :meth:`start`, ``url``, ``ws_url``, ``token`` and ``pid`` come from the hub's
    ready file. :meth:`stop` ends the process and removes the temporary directory.
    """

    def __init__(
        self,
        faults: Sequence[str] = (),
        options: Sequence[str] = (),
        start_timeout: float = 30.0,
        python: str = sys.executable,
    ) -> None:
        self.faults = list(faults)
        self.options = list(options)
        self.start_timeout = start_timeout
        self.python = python
        self.process: ManagedProcess | None = None
        self.tmp_dir: Path | None = None
        self.port = 0
        self.url = self.ws_url = self.token = ""
        self.pid = 0
        self.final_log = ""  # the log's last lines, kept when stop() removes the temp dir

    def __repr__(self) -> str:
        return f"EmbeddedHub(url={self.url!r}, pid={self.pid}, token={mask(self.token)!r})"

    # -- paths -----------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._in_tmp("data")

    @property
    def ready_file(self) -> Path:
        return self._in_tmp("ready.json")

    @property
    def log_path(self) -> Path:
        return self._in_tmp("hub.log")

    def _in_tmp(self, name: str) -> Path:
        """``name`` in the hub's temporary directory (there is none before start)."""
        if self.tmp_dir is None:
            raise EmbeddedHubError("The embedded hub has not been started.")
        return self.tmp_dir / name

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line of the hub process."""
        return hub_command(
            self.data_dir,
            self.ready_file,
            port=self.port,
            faults=self.faults,
            options=self.options,
            bootstrap_agent=BOOTSTRAP_AGENT,
            python=self.python,
        )

    def start(self) -> EmbeddedHub:
        """Start the hub in a fresh temporary directory and wait until it is ready."""
        if self.running:
            raise EmbeddedHubError(f"The embedded hub is already running at {self.url}.")
        self.tmp_dir = new_hub_dir()  # removes the dirs of killed runners (util/stale.py)
        self.data_dir.mkdir()
        _LIVE.add(self)
        try:
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self) -> None:
        # the command names the port: a restart binds the port the first start was given
        self.process = ManagedProcess(
            "The embedded hub", self.command(), log_path=self.log_path, ready_file=self.ready_file
        )
        try:
            ready = self.process.start(self.start_timeout)
        except ProcessError as error:
            raise EmbeddedHubError(f"{error}\nCommand: {' '.join(self.command())}") from None
        assert ready is not None
        self.url = ready["url"]
        self.ws_url = ready["ws_url"]
        self.token = ready["token"]
        self.pid = int(ready.get("pid", self.process.pid or 0))
        self.port = urlsplit(self.url).port or self.port

    def stop(self) -> int | None:
        """Stop the hub (SIGTERM, then SIGKILL after 5 s) and remove its temporary dir.

        Returns the exit code, or None if it was not running. Safe to call twice.
        """
        code = self._end(RestartMode.TERMINATE)
        if self.tmp_dir is not None:
            self.final_log = self.log_tail()
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None
        _LIVE.discard(self)
        return code

    def restart(self, mode: RestartMode | str = RestartMode.KILL) -> None:
        """Kill or terminate the hub, start it again on the same data dir and port."""
        mode = RestartMode(mode) if isinstance(mode, str) else mode
        if self.tmp_dir is None:
            raise EmbeddedHubError("The embedded hub has not been started.")
        self._end(mode)
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

    # -- diagnostics -----------------------------------------------------------------------

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the hub's log, tokens masked."""
        if self.tmp_dir is None:
            return "(no log)"
        return log_tail(self.log_path, lines)
