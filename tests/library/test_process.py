"""The one process helper every child process goes through."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from AgentComLibrary.util.child_process import ManagedProcess, ProcessError
from AgentComLibrary.util.waiting import holds_within


def test_ready_file_is_read_and_stop_ends_the_group(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    script = (
        "import json, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(ready)!r}, 'w').write(json.dumps({{'child': child.pid}}))\n"
        "time.sleep(60)\n"
    )
    proc = ManagedProcess(
        "sleeper", [sys.executable, "-c", script], log_path=tmp_path / "p.log", ready_file=ready
    )
    info = proc.start(timeout=10)
    assert info is not None and proc.running
    assert proc.close(grace=2) is not None
    assert not proc.running
    # SIGKILL to the group is sent; the kernel ends the grandchild a moment later
    assert holds_within(lambda: _gone(info["child"]), timeout=5, interval=0.02)


def test_an_early_exit_fails_with_the_log_tail(tmp_path: Path) -> None:
    proc = ManagedProcess(
        "failer",
        [
            sys.executable,
            "-c",
            "import sys; print('token abcdef0123456789abcdef0123456789 bad'); sys.exit(3)",
        ],
        log_path=tmp_path / "p.log",
        ready_file=tmp_path / "ready.json",
    )
    with pytest.raises(ProcessError) as info:
        proc.start(timeout=10)
    message = str(info.value)
    assert "failer exited with code 3 before it was ready" in message
    assert "abcdef01..." in message and "abcdef0123456789abcdef0123456789" not in message
    proc.close()


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_wait_returns_the_code_of_a_process_that_ends_by_itself(tmp_path: Path) -> None:
    sleeper = ManagedProcess(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], log_path=tmp_path / "s"
    )
    sleeper.start()
    assert sleeper.wait(0.1) is None and sleeper.running  # nothing is sent to it
    sleeper.close(grace=2)
    quitter = ManagedProcess(
        "quitter", [sys.executable, "-c", "import sys; sys.exit(4)"], log_path=tmp_path / "q"
    )
    quitter.start()
    assert quitter.wait(10) == 4
    assert quitter.close() == 4
