"""EmbeddedHub: start, stop, restart, failures to start, and no leftovers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from AgentComLibrary.hubapi import launcher as hub_launcher
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub, EmbeddedHubError
from AgentComLibrary.util.child_process import LastResort
from AgentComLibrary.util.choices import RestartMode
from libsupport import wait_until


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); treat it as gone.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return status != "Z"


def test_start_and_stop_leave_nothing_behind() -> None:
    hub = EmbeddedHub().start()
    tmp_dir, pid = hub.tmp_dir, hub.pid
    assert tmp_dir is not None and tmp_dir.is_dir()
    assert hub.url.startswith("http://127.0.0.1:") and hub.ws_url.endswith("/ws")
    assert len(hub.token) == 64 and hub.token not in repr(hub)
    assert HubClient(hub.url, hub.token).health()["status"] == "ok"
    assert hub.stop() == 0  # SIGTERM: clean shutdown
    assert not pid_alive(pid)
    assert not tmp_dir.exists()
    assert hub not in hub_launcher._LIVE
    assert hub.stop() is None  # twice is fine


@pytest.mark.parametrize("mode", list(RestartMode))
def test_restart_keeps_port_token_and_tasks(mode: RestartMode) -> None:
    hub = EmbeddedHub().start()
    try:
        url, token, old_pid = hub.url, hub.token, hub.pid
        client = HubClient(url, token)
        task_id = client.submit_task({"description": "survives"})["task_id"]
        hub.restart(mode)
        assert (hub.url, hub.token) == (url, token)
        assert hub.pid != old_pid and not pid_alive(old_pid)
        assert client.get_task(task_id).description == "survives"
    finally:
        hub.stop()


def test_a_fresh_restart_keeps_the_port_and_forgets_tasks_and_token() -> None:
    hub = EmbeddedHub().start()
    try:
        url, token, old_pid = hub.url, hub.token, hub.pid
        task_id = HubClient(url, token).submit_task({"description": "forgotten"})["task_id"]
        hub.restart(RestartMode.KILL, fresh=True)
        assert hub.url == url and hub.pid != old_pid and not pid_alive(old_pid)
        assert hub.token and hub.token != token
        assert HubClient(url, hub.token).find_task(task_id) is None
    finally:
        hub.stop()


def test_hub_that_exits_early_fails_with_its_log() -> None:
    hub = EmbeddedHub(faults=["no-such-fault"])
    with pytest.raises(EmbeddedHubError) as info:
        hub.start()
    message = str(info.value)
    assert "exited with code" in message and "before it was ready" in message
    assert "Last lines of" in message and "no-such-fault" in message
    assert hub.tmp_dir is None and not hub.running


def test_hub_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'pretending to start' >&2\nexec sleep 60\n")
    fake_python.chmod(0o755)
    hub = EmbeddedHub(python=str(fake_python), start_timeout=0.5)
    with pytest.raises(EmbeddedHubError) as info:
        hub.start()
    assert "did not write its ready file within 500 ms" in str(info.value)
    assert "pretending to start" in str(info.value)
    assert hub.process is None and hub.tmp_dir is None


def test_atexit_handler_stops_live_hubs(monkeypatch: pytest.MonkeyPatch) -> None:
    # a list of its own, so the session's hub is left alone
    monkeypatch.setattr(hub_launcher, "_LIVE", LastResort(EmbeddedHub.stop, at_exit=False))
    hub = EmbeddedHub().start()
    pid, tmp_dir = hub.pid, hub.tmp_dir
    assert {hub} == hub_launcher._LIVE.items()
    hub_launcher._LIVE.stop_all()  # what the interpreter's exit runs
    assert not pid_alive(pid) and not tmp_dir.exists()


def test_hub_dies_with_a_killed_runner(tmp_path: Path) -> None:
    """SIGKILL of the process that started the hub: --parent-pid ends the hub."""
    script = tmp_path / "runner.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            from AgentComLibrary.hubapi.embedded import EmbeddedHub
            hub = EmbeddedHub().start()
            print(hub.pid, hub.tmp_dir, flush=True)
            time.sleep(120)
            """
        )
    )
    runner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    tmp_dir = ""
    try:
        pid_text, tmp_dir = runner.stdout.readline().split()
        hub_pid = int(pid_text)
        assert pid_alive(hub_pid)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        wait_until(lambda: not pid_alive(hub_pid), timeout=15)
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.stdout.close()
        # The runner was killed, so nobody removed its temporary dir: do it here.
        if tmp_dir:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def test_command_line_has_faults_options_and_parent(tmp_path: Path) -> None:
    hub = EmbeddedHub(faults=["ignore-priority"], options=["--stuck-threshold", "2s"])
    hub.tmp_dir = tmp_path
    cmd = hub.command()
    assert cmd[:3] == [sys.executable, "-m", "agentcom_hub"]
    assert cmd[cmd.index("--port") : cmd.index("--port") + 2] == ["--port", "0"]
    assert "--fault" in cmd and "ignore-priority" in cmd
    assert cmd[-2:] == ["--stuck-threshold", "2s"]
    assert cmd[cmd.index("--parent-pid") + 1] == str(os.getpid())
    assert cmd[cmd.index("--ready-file") + 1] == str(tmp_path / "ready.json")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on while the test runs."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_hub_that_lost_its_port_to_another_process_starts_on_another(
    monkeypatch: pytest.MonkeyPatch, taken_port: int
) -> None:
    picks = iter([taken_port])
    real_pick = hub_launcher.free_port
    monkeypatch.setattr(
        hub_launcher, "free_port", lambda host, ports=None: next(picks, None) or real_pick(host)
    )
    hub = EmbeddedHub()
    try:
        hub.start()
        assert hub.lost_ports == [taken_port] and hub.port != taken_port
        assert HubClient(hub.url, hub.token).health()["status"] == "ok"
    finally:
        hub.stop()


def test_a_hub_whose_ports_are_all_taken_fails_with_its_log(
    monkeypatch: pytest.MonkeyPatch, taken_port: int
) -> None:
    monkeypatch.setattr(hub_launcher, "free_port", lambda host, ports=None: taken_port)
    hub = EmbeddedHub()
    try:
        with pytest.raises(EmbeddedHubError, match="address already in use"):
            hub.start()
        assert len(hub.lost_ports) == hub_launcher.PORT_ATTEMPTS - 1
        assert hub.tmp_dir is None and hub not in hub_launcher._LIVE
    finally:
        hub.stop()
