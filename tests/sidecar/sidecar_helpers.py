"""Helpers of the sidecar tests: the embedded hub as a subprocess, polling, process checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from AgentComLibrary.hubapi.client import HubClient

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "sidecar_standin"
DEADLINE = 30.0  # generous: only reached when something is wrong
POLL = 0.05


def wait_until(
    predicate: Callable[[], object], timeout: float = DEADLINE, what: str = ""
) -> object:
    """Poll ``predicate`` until it returns something truthy; fail with ``what``."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"not within {timeout:g} s: {what}")
        time.sleep(POLL)


class HubUnderTest:
    """``python -m agentcom_hub`` on a temporary data dir, with an HTTP client."""

    def __init__(self, tmp: Path, options: list[str]) -> None:
        self.tmp = tmp
        self.ready_file = tmp / "r.json"
        self.log_path = tmp / "hub.log"
        command = [
            sys.executable, "-m", "agentcom_hub", "--port", "0",
            "--data-dir", str(tmp / "data"), "--ready-file", str(self.ready_file),
            "--parent-pid", str(os.getpid()), "--bootstrap-agent", "smoke-admin", *options,
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=self._log, start_new_session=True
        )
        wait_until(self._ready, what=f"hub ready file ({self.log_path})")
        ready = json.loads(self.ready_file.read_text())
        self.url, self.ws_url = ready["url"], ready["ws_url"]
        self.client = HubClient(self.url, ready["token"])

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"hub exited: {self.log_path.read_text()[-2000:]}")
        return self.ready_file.exists()

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def task(self, task_id: str) -> dict:
        return dict(self.client.get_task(task_id).raw)

    def submit(self, run: str, description: str = "sidecar task", **extra: object) -> str:
        body = {
            "description": description,
            "needed_capabilities": [f"smoke-{run}"],
            "metadata": {"smoke_run": run},
            **extra,
        }
        return self.client.submit_task(body)["task_id"]

    def wait_status(self, task_id: str, status: str, timeout: float = DEADLINE) -> dict:
        return wait_until(
            lambda: (t := self.task(task_id))["status"] == status and t,
            timeout,
            f"{task_id} status {status} (now {self.task(task_id)['status']})",
        )


def completed_events(task: dict) -> int:
    return sum(1 for h in task["history"] if h["event"] == "completed")


def assigned_agents(task: dict) -> list[str]:
    """Agent ids of the task's assignments, oldest first."""
    return [h["details"]["agent_id"] for h in reversed(task["history"]) if h["event"] == "assigned"]


def wait_until_gone(path: Path, timeout: float = 10.0) -> list[str]:
    """Processes still mentioning ``path`` once ``timeout`` has passed (none: [])."""
    end = time.monotonic() + timeout
    while (found := _processes_under(path)) and time.monotonic() < end:
        time.sleep(POLL)
    return found


def _processes_under(path: Path) -> list[str]:
    """Command lines of running processes that mention ``path``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(path) in cmdline or cwd.startswith(str(path)):
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found
