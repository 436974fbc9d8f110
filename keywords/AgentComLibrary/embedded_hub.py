"""The embedded reference hub as a subprocess: start, wait ready, stop, restart, clean up."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .behaviours import RestartMode
from .masking import mask, mask_text
from .timeutil import Deadline, human

BOOTSTRAP_AGENT = "smoke-admin"
STOP_GRACE = 5.0
READY_POLL = 0.05

_LIVE: set[EmbeddedHub] = set()
_LIVE_LOCK = threading.Lock()


class EmbeddedHubError(RuntimeError):
    """The hub process could not be started or did not get ready."""

    ROBOT_SUPPRESS_NAME = True


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
        self.process: subprocess.Popen | None = None
        self.tmp_dir: Path | None = None
        self.port = 0
        self.url = self.ws_url = self.token = ""
        self.pid = 0
        self.final_log = ""  # the log's last lines, kept when stop() removes the temp dir
        self._log_file = None

    def __repr__(self) -> str:
        return f"EmbeddedHub(url={self.url!r}, pid={self.pid}, token={mask(self.token)!r})"

    # -- paths -----------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._tmp() / "data"

    @property
    def ready_file(self) -> Path:
        return self._tmp() / "ready.json"

    @property
    def log_path(self) -> Path:
        return self._tmp() / "hub.log"

    def _tmp(self) -> Path:
        if self.tmp_dir is None:
            raise EmbeddedHubError("The embedded hub has not been started.")
        return self.tmp_dir

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line of the hub process."""
        cmd = [
            self.python, "-m", "agentcom_hub",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--ready-file", str(self.ready_file),
            "--bootstrap-agent", BOOTSTRAP_AGENT,
            "--parent-pid", str(os.getpid()),
        ]  # fmt: skip
        for fault in self.faults:
            cmd += ["--fault", fault]
        return cmd + self.options

    def start(self) -> EmbeddedHub:
        """Start the hub in a fresh temporary directory and wait until it is ready."""
        if self.running:
            raise EmbeddedHubError(f"The embedded hub is already running at {self.url}.")
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="agentcom-hub-"))
        self.data_dir.mkdir()
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.ready_file.unlink()
        if self._log_file is None:
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            start_new_session=True,  # Robot's Ctrl-C must not reach the hub before teardown
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = Deadline(self.start_timeout)
        assert self.process is not None
        while not self.ready_file.exists():
            code = self.process.poll()
            if code is not None:
                raise EmbeddedHubError(
                    f"The embedded hub exited with code {code} before it was ready.\n"
                    f"Command: {' '.join(self.command())}\nLast log lines:\n{self.log_tail()}"
                )
            if deadline.expired:
                raise EmbeddedHubError(
                    f"The embedded hub did not write its ready file within "
                    f"{human(self.start_timeout)}.\nLast log lines:\n{self.log_tail()}"
                )
            time.sleep(READY_POLL)
        ready = json.loads(self.ready_file.read_text(encoding="utf-8"))
        self.url = ready["url"]
        self.ws_url = ready["ws_url"]
        self.token = ready["token"]
        self.pid = int(ready.get("pid", self.process.pid))
        self.port = urlsplit(self.url).port or self.port

    def stop(self) -> int | None:
        """Stop the hub (SIGTERM, then SIGKILL after 5 s) and remove its temporary dir.

        Returns the exit code, or None if it was not running. Safe to call twice.
        """
        code = self._end(signal.SIGTERM, STOP_GRACE)
        if self.tmp_dir is not None:
            self.final_log = self.log_tail()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        return code

    def restart(self, mode: RestartMode | str = RestartMode.KILL) -> None:
        """Kill or terminate the hub, start it again on the same data dir and port."""
        mode = RestartMode(mode) if isinstance(mode, str) else mode
        if self.tmp_dir is None:
            raise EmbeddedHubError("The embedded hub has not been started.")
        sig = signal.SIGKILL if mode is RestartMode.KILL else signal.SIGTERM
        self._end(sig, STOP_GRACE)
        self._launch()

    def _end(self, sig: signal.Signals, grace: float) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                return process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait()

    # -- diagnostics -----------------------------------------------------------------------

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the hub's log, tokens masked."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, EmbeddedHubError):
            return "(no log)"
        tail = text.splitlines()[-lines:]
        return mask_text("\n".join(tail)) if tail else "(log is empty)"


@atexit.register
def _stop_all() -> None:
    """Last resort when the interpreter exits with a hub still running."""
    with _LIVE_LOCK:
        hubs = list(_LIVE)
    for hub in hubs:
        with contextlib.suppress(Exception):
            hub.stop()
