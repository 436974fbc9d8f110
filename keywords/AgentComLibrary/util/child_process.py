"""One way to run a child process (hub, sidecar, agent pool): start it with its output in a
log file, optionally wait for the JSON ready file it writes, stop it with SIGTERM, a grace
period and SIGKILL, read the tail of its log with tokens masked, and never leave it behind
(an exit handler stops whatever is still running when the interpreter exits).

Every child runs in its own session (process group): Robot's Ctrl-C does not reach it
before the teardown does, and a stop or kill ends its own children too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import AgentComError
from .masking import mask_text
from .timeutil import Deadline, human

STOP_GRACE = 5.0
READY_POLL = 0.02
TAIL_LINES = 30


class LastResort:
    """What to stop when the interpreter exits with it still running: a last resort, for
    children whose owner never stopped them (an exception, a killed test). Each entry is
    removed again when its owner stops it."""

    def __init__(self, stop: Callable[[Any], object], at_exit: bool = True) -> None:
        self._stop = stop
        self._live: set[Any] = set()
        self._lock = threading.Lock()
        if at_exit:
            atexit.register(self.stop_all)

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)

    def __contains__(self, item: object) -> bool:
        with self._lock:
            return item in self._live

    def __repr__(self) -> str:
        with self._lock:
            return f"LastResort({sorted(map(repr, self._live))})"

    def items(self) -> set[Any]:
        """A copy of what is still running."""
        with self._lock:
            return set(self._live)

    def add(self, item: object) -> None:
        with self._lock:
            self._live.add(item)

    def discard(self, item: object) -> None:
        with self._lock:
            self._live.discard(item)

    def stop_all(self) -> None:
        for item in self.items():
            with contextlib.suppress(Exception):
                self._stop(item)


_LIVE = LastResort(lambda process: process.close(grace=1.0))


class ProcessError(AgentComError):
    """A child process could not start, exited early, or did not get ready in time."""


class ManagedProcess:
    """One child process. Restartable: :meth:`start` again after :meth:`stop` or :meth:`kill`.

    Example::

        hub = ManagedProcess("hub", [sys.executable, "-m", "agentcom_hub", ...],
                             log_path=tmp / "hub.log", ready_file=tmp / "ready.json")
        ready = hub.start(timeout=30)      # the ready file's JSON
        ...
        hub.stop()                         # SIGTERM, 5 s grace, SIGKILL
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log_path: Path,
        ready_file: Path | None = None,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = Path(log_path)
        self.ready_file = Path(ready_file) if ready_file else None
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.popen: subprocess.Popen | None = None
        self.exit_codes: list[int] = []
        self._log = None

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, running={self.running})"

    # -- state -----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return self.popen.poll() if self.popen else None

    # -- start -----------------------------------------------------------------------------

    def start(self, timeout: float = 30.0, ready: Callable[[], bool] | None = None) -> dict | None:
        """Start the process; wait until its ready file exists (returns its JSON) or until
        ``ready()`` holds, failing with the log tail if it exits first or time runs out."""
        if self.running:
            raise ProcessError(f"{self.name} is already running (pid {self.pid}).")
        if self.ready_file is not None:
            with contextlib.suppress(FileNotFoundError):
                self.ready_file.unlink()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        try:
            self.popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                start_new_session=True,
            )
        except OSError as error:
            raise ProcessError(f"{self.name} could not be started ({error}).") from None
        _LIVE.add(self)
        try:
            return self._wait_ready(timeout, ready)
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, timeout: float, ready: Callable[[], bool] | None) -> dict | None:
        if self.ready_file is None and ready is None:
            return None
        deadline = Deadline(timeout)
        while not self._is_ready(ready):
            code = self.exit_code()
            if code is not None:
                raise ProcessError(
                    f"{self.name} exited with code {code} before it was ready.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            if deadline.expired:
                what = "did not write its ready file" if ready is None else "was not ready"
                raise ProcessError(
                    f"{self.name} {what} within {human(timeout)}.\n"
                    f"Last lines of {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(READY_POLL)
        if self.ready_file is None:
            return None
        return json.loads(self.ready_file.read_text(encoding="utf-8"))

    def _is_ready(self, ready: Callable[[], bool] | None) -> bool:
        if self.ready_file is not None:
            try:
                text = self.ready_file.read_text(encoding="utf-8")
                json.loads(text)  # written whole, or not yet
            except (OSError, ValueError):
                return False
        return ready() if ready is not None else True

    def wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for the process to exit by itself (nothing is sent);
        its exit code, or None while it still runs."""
        if self.popen is None:
            return None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    # -- stop ------------------------------------------------------------------------------

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the process's whole group."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL. Returns the exit code, or
        None if it was not started. Safe to call twice."""
        return self._end(signal.SIGTERM, grace)

    def kill(self) -> int | None:
        """SIGKILL at once (a crash: nothing is flushed, the OS drops its sockets)."""
        return self._end(signal.SIGKILL, 0.0)

    def _end(self, sig: signal.Signals, grace: float) -> int | None:
        popen = self.popen
        if popen is None:
            return None
        if popen.poll() is None:
            self.signal(sig)
            try:
                popen.wait(grace if sig != signal.SIGKILL else 10.0)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                popen.wait()
        self.signal(signal.SIGKILL)  # whatever is left in its group ends with it
        code = popen.returncode
        self.exit_codes.append(code)
        self.popen = None
        return code

    def close(self, grace: float = STOP_GRACE) -> int | None:
        """Stop the process and close its log file; it is forgotten by the exit handler."""
        code = self.stop(grace)
        if self._log is not None:
            self._log.close()
            self._log = None
        _LIVE.discard(self)
        return code

    # -- diagnostics -----------------------------------------------------------------------

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of the process's log, tokens masked."""
        return log_tail(self.log_path, lines)


def log_tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file, tokens masked."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    tail = text.splitlines()[-lines:]
    return mask_text("\n".join(tail)) if tail else "(log is empty)"
