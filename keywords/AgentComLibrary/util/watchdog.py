"""A watchdog that cleans up after a hub whose runner died without doing it (SIGKILL, a crash).

The runner starts ``python watchdog.py`` in a session of its own with a pipe on its stdin and
tells it, one line at a time, what to clean up: ``group <pgid>`` (the hub's process group,
again after every restart), ``mark <value>`` (the value of ``AGENTCOM_HUB_MARK`` in the hub's
environment: finds descendants that left the group), ``dir <path>`` (the hub's run directory)
and ``done`` (the runner cleaned up itself: exit without doing anything). When the pipe ends
without ``done`` the runner is gone: the watchdog sends SIGTERM to the group and the marked
processes, SIGKILL after a grace period, and removes the directory.

This file is also run as a script, so it imports the standard library only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

MARK_ENV = "AGENTCOM_HUB_MARK"
GRACE = 5.0


def marked_pids(mark: str) -> list[int]:
    """Processes whose environment holds ``AGENTCOM_HUB_MARK=<mark>`` (Linux ``/proc``)."""
    if not mark:
        return []
    needle = f"{MARK_ENV}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal(pgid: int | None, mark: str, sig: signal.Signals) -> bool:
    """Send ``sig`` to the group and the marked processes; whether any was there."""
    alive = False
    if pgid and group_alive(pgid):
        alive = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for pid in marked_pids(mark):
        alive = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    return alive


def end_all(pgid: int | None, mark: str, grace: float = GRACE) -> None:
    """SIGTERM to the hub's group and marked processes, SIGKILL to what is left after
    ``grace`` seconds (zombies of the group count as gone once reaped by their parent)."""
    if not _signal(pgid, mark, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not (pgid and group_alive(pgid)) and not marked_pids(mark):
            return
        time.sleep(0.05)
    _signal(pgid, mark, signal.SIGKILL)


def main() -> int:
    pgid: int | None = None
    mark = directory = ""
    for raw in sys.stdin:
        word, _, value = raw.strip().partition(" ")
        if word == "done":
            return 0
        if word == "group":
            pgid = int(value) if value.isdigit() else None
        elif word == "mark":
            mark = value
        elif word == "dir":
            directory = value
    end_all(pgid, mark)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


class Watchdog:
    """The runner's side: start the watchdog, tell it what to clean up, dismiss it."""

    def __init__(self) -> None:
        self.popen: subprocess.Popen | None = None

    def start(self, directory: Path, mark: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-I", "-S", str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C and a kill of the runner's group do not reach it
        )
        self._say(f"dir {directory}", f"mark {mark}")

    def track(self, pgid: int | None) -> None:
        """The hub's (new) process group."""
        self._say(f"group {pgid or ''}")

    def dismiss(self) -> None:
        """The runner has cleaned up: the watchdog exits and does nothing."""
        self._say("done")
        popen, self.popen = self.popen, None
        if popen is None:
            return
        with contextlib.suppress(OSError):
            popen.stdin.close()  # type: ignore[union-attr]
        try:
            popen.wait(5)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()

    def _say(self, *lines: str) -> None:
        if self.popen is None or self.popen.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.popen.stdin.write("".join(f"{line}\n" for line in lines).encode())
            self.popen.stdin.flush()


if __name__ == "__main__":
    sys.exit(main())
