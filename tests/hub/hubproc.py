"""Run the embedded hub as a subprocess for black-box tests.

`HubProcess` starts `python -m agentcom_hub` on a data dir, waits for its ready file with a
deadline, and stops it with SIGTERM, then SIGKILL after a grace period. `restart(mode)`
brings it back on the same data dir and the same port.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

START_DEADLINE_S = 30.0
STOP_GRACE_S = 10.0
POLL_S = 0.02


class HubStartError(RuntimeError):
    """The hub did not become ready (it died, or the deadline passed)."""


def mask(token: str | None) -> str:
    """Show a token as its first 8 characters followed by '...'."""
    if not token:
        return repr(token)
    return f"{token[:8]}..."


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
        self.parent_pid = os.getpid() if parent_pid is None else parent_pid
        self.bootstrap_agent = bootstrap_agent
        self.ready_file = self.run_dir / f"{self.data_dir.name}-ready.json"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict = {}
        self.starts = 0
        self.stderr_path: Path | None = None

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
        assert self.proc is not None, "hub was never started"
        return self.proc.pid

    def alive(self) -> bool:
        """True while the current hub process is running."""
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle --------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line for the next start."""
        cmd = [
            sys.executable,
            "-m",
            "agentcom_hub",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--ready-file",
            str(self.ready_file),
            "--parent-pid",
            str(self.parent_pid),
        ]
        if self.bootstrap_agent:
            cmd += ["--bootstrap-agent", self.bootstrap_agent]
        for fault in self.faults:
            cmd += ["--fault", fault]
        cmd += list(self.options)
        return cmd

    def start(self, deadline_s: float = START_DEADLINE_S) -> HubProcess:
        """Start the hub and wait until its ready file appears."""
        assert not self.alive(), "hub already running"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.ready_file.unlink(missing_ok=True)
        self.starts += 1
        self.stderr_path = self.run_dir / f"{self.data_dir.name}-stderr-{self.starts}.log"
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
            )
        self.ready = self._wait_ready(deadline_s)
        if self.port == 0:
            self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def _wait_ready(self, deadline_s: float) -> dict:
        assert self.proc is not None
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.ready_file.exists():
                text = self.ready_file.read_text()
                try:
                    return json.loads(text)
                except ValueError as exc:
                    raise HubStartError(
                        f"ready file {self.ready_file} is not complete JSON (not atomic?): "
                        f"{text[:200]!r}"
                    ) from exc
            if self.proc.poll() is not None:
                raise HubStartError(
                    f"hub exited with code {self.proc.returncode} before writing its ready "
                    f"file; command: {' '.join(self.command())}\n"
                    f"stderr tail:\n{self.stderr_tail()}"
                )
            time.sleep(POLL_S)
        self.kill()
        raise HubStartError(
            f"hub wrote no ready file within {deadline_s}s\nstderr tail:\n{self.stderr_tail()}"
        )

    def signal(self, signum: int) -> None:
        """Send a signal to the current hub process."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait_exit(self, timeout_s: float) -> int | None:
        """Wait for the current process to exit; its code, or None on timeout."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace_s: float = STOP_GRACE_S) -> int | None:
        """SIGTERM, then SIGKILL after `grace_s`; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        code = self.wait_exit(grace_s)
        if code is None:
            self.proc.kill()
            code = self.proc.wait(timeout=grace_s)
        return code

    def kill(self) -> int | None:
        """SIGKILL the hub and reap it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(timeout=STOP_GRACE_S)

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

    def stderr_text(self) -> str:
        """The whole stderr of the current (or last) start."""
        if self.stderr_path is None or not self.stderr_path.exists():
            return ""
        return self.stderr_path.read_text(errors="replace")

    def all_stderr_text(self) -> str:
        """Stderr of every start of this hub, concatenated."""
        parts = []
        for n in range(1, self.starts + 1):
            path = self.run_dir / f"{self.data_dir.name}-stderr-{n}.log"
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "".join(parts)

    def stderr_tail(self, lines: int = 30) -> str:
        """The last lines of the hub's stderr, tokens masked."""
        text = "\n".join(self.stderr_text().splitlines()[-lines:])
        token = self.ready.get("token")
        if token:
            text = text.replace(token, mask(token))
        return text or "(empty)"

    def describe(self) -> str:
        """Short description for failure messages."""
        state = "running" if self.alive() else "stopped"
        return f"hub pid={self.proc.pid if self.proc else None} {state} port={self.port}"
