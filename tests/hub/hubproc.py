"""Run the embedded hub as a subprocess for black-box tests.

`HubProcess` is a thin test-side face on the library's one process helper
(`AgentComLibrary.util.child_process.ManagedProcess`: ready file, SIGTERM/grace/SIGKILL, process
group, exit handler) and the hub's command line (`agentcom_hub.command.hub_command`). It keeps a
data dir of the test's choosing, restarts on the same dir and port, and keeps the hub's
stderr of every start in one log file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Literal

from agentcom_hub.command import hub_command
from AgentComLibrary.util.child_process import ManagedProcess, ProcessError
from AgentComLibrary.util.masking import mask
from AgentComLibrary.util.masking import mask_text as _mask_text

START_DEADLINE_S = 30.0
STOP_GRACE_S = 10.0

__all__ = ["HubProcess", "HubStartError", "mask", "run_hub_cli"]


def run_hub_cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m agentcom_hub ARGS`` to its end (60 s at most), output captured as text;
    ``columns`` sets COLUMNS for argparse's help layout."""
    env = None if columns is None else {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "agentcom_hub", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


class HubStartError(ProcessError):
    """The hub did not become ready (it died, or the deadline passed)."""


class HubProcess:
    """One hub subprocess on a data dir; restartable on the same dir and port."""

    def __init__(
        self,
        data_dir: Path,
        *,
        faults: tuple[str, ...] | list[str] = (),
        options: tuple[str, ...] | list[str] = (),
        port: int = 0,
        parent_pid: int | None = None,
        bootstrap_agent: str | None = None,
        run_dir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.run_dir = Path(run_dir) if run_dir else self.data_dir.parent
        self.faults = tuple(faults)
        self.options = tuple(options)
        self.port = port
        self.parent_pid = parent_pid
        self.bootstrap_agent = bootstrap_agent
        # what the hub command line takes besides its dirs and port
        self.settings = {
            "faults": self.faults,
            "options": self.options,
            "bootstrap_agent": bootstrap_agent,
            "parent_pid": parent_pid,
        }
        self.ready_file = self.run_dir / f"{self.data_dir.name}-ready.json"
        self.log_path = self.run_dir / f"{self.data_dir.name}-stderr.log"
        self.ready: dict = {}
        self.starts = 0
        self._process: ManagedProcess | None = None
        self._pid: int | None = None
        self._offsets: list[int] = []  # where each start's output begins in the log

    # -- properties -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.ready["url"]

    @property
    def ws_url(self) -> str:
        return self.ready["ws_url"]

    @property
    def token(self) -> str:
        return self.ready["token"]

    @property
    def pid(self) -> int:
        assert self._pid is not None, "hub was never started"
        return self._pid

    def alive(self) -> bool:
        """True while the current hub process is running."""
        return self._process is not None and self._process.running

    # -- lifecycle --------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line for the next start."""
        return hub_command(
            self.data_dir, ready_file=self.ready_file, port=self.port, **self.settings
        )

    def start(self, deadline_s: float = START_DEADLINE_S) -> HubProcess:
        """Start the hub and wait until its ready file appears."""
        assert not self.alive(), "hub already running"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self._offsets.append(self.log_path.stat().st_size if self.log_path.exists() else 0)
        name = f"hub {self.data_dir.name}"
        files = {"log_path": self.log_path, "ready_file": self.ready_file}
        self._process = ManagedProcess(name, self.command(), **files)
        try:
            self.ready = self._process.start(deadline_s) or {}
        except ProcessError as error:
            raise HubStartError(f"{error}\ncommand: {' '.join(self.command())}") from None
        self._pid = self._process.pid
        if self.port == 0:
            self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def signal(self, signum: int) -> None:
        """Send a signal to the current hub process."""
        if self._process is not None:
            self._process.signal(signal.Signals(signum))

    def wait_exit(self, timeout_s: float) -> int | None:
        """Wait for the current process to exit; its code, or None on timeout."""
        assert self._process is not None
        return self._process.wait(timeout_s)

    def stop(self, grace_s: float = STOP_GRACE_S) -> int | None:
        """SIGTERM, then SIGKILL after `grace_s`; returns the exit code."""
        process = self._process
        if process is None:
            return None
        if process.popen is None:  # stopped before
            return process.exit_codes[-1] if process.exit_codes else None
        return process.close(grace_s)

    def kill(self) -> int | None:
        """SIGKILL the hub and reap it."""
        if self._process is None:
            return None
        code = self._process.kill()
        self._process.close()
        return code

    def restart(self, mode: Literal["kill", "terminate"] = "kill") -> HubProcess:
        """Stop the hub (SIGKILL or SIGTERM) and start it again on the same dir and port."""
        if mode == "kill":
            self.kill()
        elif mode == "terminate":
            code = self.stop()
            if code != 0:
                raise AssertionError(
                    f"hub exited with {code} on SIGTERM, expected 0\n{self.stderr_tail()}"
                )
        else:
            raise ValueError(f"restart mode must be 'kill' or 'terminate', got {mode!r}")
        return self.start()

    # -- diagnostics ------------------------------------------------------------------------

    def all_stderr_text(self) -> str:
        """Stderr of every start of this hub, in order."""
        return self._log_since(0)

    def stderr_text(self) -> str:
        """The stderr of the current (or last) start."""
        return self._log_since(self._offsets[-1]) if self._offsets else ""

    def _log_since(self, offset: int) -> str:
        try:
            return self.log_path.read_bytes()[offset:].decode(errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, lines: int = 30) -> str:
        """The last lines of the hub's stderr, tokens masked."""
        text = "\n".join(self.stderr_text().splitlines()[-lines:])
        return _mask_text(text) or "(empty)"

    def describe(self) -> str:
        """Short description for failure messages."""
        state = "running" if self.alive() else "stopped"
        return f"hub pid={self._pid} {state} port={self.port}"
