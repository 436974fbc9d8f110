"""HubLauncher: a hub command the library starts, restarts and stops (HUB_COMMAND).

The "external" hubs here are the embedded hub's own command line (a real hub over HTTP) and
``fakehub.py`` (a tiny health server that can start a grandchild outside its process group,
refuse to start, or die on purpose), so nothing needs Elixir.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from agentcom_hub.command import hub_command, shell_line
from AgentComLibrary import AgentComLibrary
from AgentComLibrary.hubapi import launcher as hub_launcher
from AgentComLibrary.hubapi import rundirs
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.launcher import (
    HubLauncher,
    HubLaunchError,
    HubProcessExited,
    TokenSource,
    free_port,
    parse_ports,
)
from AgentComLibrary.hubapi.timers import HubTimers, HubTimersError
from AgentComLibrary.util.choices import RestartMode
from AgentComLibrary.util.watchdog import marked_pids
from libsupport import wait_until

PY = shlex.quote(sys.executable)
FAKE = shlex.quote(str(Path(__file__).with_name("fakehub.py")))
EMBEDDED_CMD = shell_line(
    hub_command("{state_dir}", port="{port}", host="{host}", stop_with_parent=False)
)
EMBEDDED_TOKEN = "{state_dir}/bootstrap-token.json"
TOKEN = "ab" * 32


def gone(hub_dir: Path, mark: str) -> bool:
    """Nothing of the hub is left: no directory, no process carrying its mark."""
    return not hub_dir.exists() and not marked_pids(mark)


@pytest.fixture
def launched() -> Iterator[list[HubLauncher]]:
    """Hubs a test starts; stopped afterwards whatever happened."""
    hubs: list[HubLauncher] = []
    yield hubs
    for hub in hubs:
        hub.stop()


def failed_start(
    launched: list[HubLauncher], command: str, token: TokenSource, timeout: float = 10
) -> tuple[HubLauncher, str]:
    """A hub of ``command`` whose start must fail: (the hub, its HubLaunchError's message)."""
    hub = HubLauncher(command, token=token, start_timeout=timeout)
    launched.append(hub)
    with pytest.raises(HubLaunchError) as info:
        hub.start()
    return hub, str(info.value)


def test_command_hub_with_a_token_file_starts_answers_and_leaves_nothing(launched) -> None:
    hub = HubLauncher(EMBEDDED_CMD, token=TokenSource("file", EMBEDDED_TOKEN), start_timeout=20)
    launched.append(hub.start())
    run_dir, mark, pid = hub.tmp_dir, hub.tmp_dir.name, hub.pid
    assert hub.url == f"http://127.0.0.1:{hub.port}" and hub.ws_url.endswith(f"{hub.port}/ws")
    assert (hub.state_dir / "bootstrap-token.json").exists()  # its state is in {state_dir}
    client = HubClient(hub.url, hub.token)
    assert client.submit_task({"description": "x"})["status"] == "queued"  # the token works
    client.close()
    assert marked_pids(mark) == [pid] or pid in marked_pids(mark)
    assert hub.stop() is not None
    assert gone(run_dir, mark) and hub not in hub_launcher._LIVE


def test_token_command_runs_in_the_fresh_state_before_the_first_start(launched) -> None:
    token_cmd = f"echo made > made.txt && echo 'Token generated for admin:' && echo {TOKEN}"
    hub = HubLauncher(
        f"{PY} {FAKE} {{port}} --token-from made.txt",
        token=TokenSource("command", token_cmd),
        start_timeout=10,
    )
    launched.append(hub.start())
    assert hub.token == TOKEN
    assert (hub.state_dir / "made.txt").read_text().strip() == "made"
    hub.restart(RestartMode.TERMINATE)  # the token command is not run again
    assert hub.token == TOKEN and (hub.state_dir / "starts").read_text() == "2"


def test_token_command_without_a_token_fails_masked(launched) -> None:
    secret = "cd" * 32
    hub, message = failed_start(
        launched,
        f"{PY} {FAKE} {{port}}",
        TokenSource("command", f"echo 'half {secret[:20]}' && echo oops >&2 && exit 4"),
    )
    assert message.startswith("The token command exited with code 4")
    assert "oops" in message and hub.tmp_dir is None


def test_a_command_that_fails_to_start_says_so_with_its_masked_log_tail(launched) -> None:
    secret = "ef" * 32
    hub, message = failed_start(
        launched,
        f"echo 'starting with token {secret}'; echo 'cannot bind' >&2; exit 3",
        TokenSource("given", TOKEN),
    )
    assert message.startswith("The hub command exited with code 3 before it was ready")
    assert "cannot bind" in message and "Last lines of its log" in message
    assert secret not in message and secret[:8] + "..." in message
    assert hub.tmp_dir is None and hub not in hub_launcher._LIVE


def test_a_hub_that_never_answers_health_is_stopped(launched) -> None:
    hub, message = failed_start(
        launched,
        f"{PY} {FAKE} {{port}} --grandchild --slow-start 60",
        TokenSource("given", TOKEN),
        timeout=1.0,
    )
    assert "did not get ready within 1 s (GET http://127.0.0.1:" in message
    assert "/health: no answer" in message and "fakehub: start 1" in message
    assert hub.process is None and hub.tmp_dir is None


def test_a_token_file_that_never_comes_is_named(launched) -> None:
    hub = HubLauncher(
        f"{PY} {FAKE} {{port}}",
        token=TokenSource("file", "{state_dir}/bootstrap.token"),
        start_timeout=1.0,
    )
    launched.append(hub)
    with pytest.raises(HubLaunchError, match=r"GET /health answered 200, but .*bootstrap.token"):
        hub.start()


@pytest.mark.parametrize("mode", list(RestartMode))
def test_restart_keeps_port_state_and_token(launched, mode: RestartMode) -> None:
    hub = HubLauncher(EMBEDDED_CMD, token=TokenSource("file", EMBEDDED_TOKEN), start_timeout=20)
    launched.append(hub.start())
    url, token, old_pid = hub.url, hub.token, hub.pid
    client = HubClient(url, token)
    task_id = client.submit_task({"description": "survives"})["task_id"]
    hub.restart(mode)
    assert (hub.url, hub.token) == (url, token) and hub.pid != old_pid
    assert client.get_task(task_id).description == "survives"
    client.close()


def test_ports_come_from_the_range_given(launched) -> None:
    ports = parse_ports("4490-4499")
    assert ports == range(4490, 4500) and parse_ports("") is None
    with pytest.raises(HubLaunchError, match="not a port range"):
        parse_ports("44-x")
    port = free_port("127.0.0.1", range(4490, 4492))
    assert port in (4490, 4491)


def test_grandchildren_outside_the_group_are_ended_by_their_mark(launched) -> None:
    hub = HubLauncher(
        f"{PY} {FAKE} {{port}} --grandchild", token=TokenSource("given", TOKEN), start_timeout=10
    )
    launched.append(hub.start())
    mark, run_dir = hub.tmp_dir.name, hub.tmp_dir
    wait_until(lambda: len(marked_pids(mark)) >= 3)  # sh, python, the escaped sleep
    hub.stop()
    wait_until(lambda: gone(run_dir, mark), timeout=10)


def test_library_stops_the_run_when_the_hub_dies_mid_run(robot_log) -> None:
    lib = AgentComLibrary(
        hub_command=f"{PY} {FAKE} {{port}} --die-after 1.0", bootstrap_token=TOKEN
    )
    lib.open_hub_session()
    hub = lib.ctx.session.managed
    run_dir, mark = hub.tmp_dir, hub.tmp_dir.name
    try:
        wait_until(lambda: hub.exit_code() is not None, timeout=10)
        with pytest.raises(HubProcessExited) as info:
            lib.run_keyword("hub_should_be_healthy", [])
        message = str(info.value)
        assert info.value.ROBOT_EXIT_ON_FAILURE is True
        assert "The hub command at http://127.0.0.1:" in message
        assert "exited with code 7 during the run; the run cannot go on." in message
        assert "fakehub: dying on purpose" in message
        # reported once: the teardown's reads are passed over, the close cleans up
        assert lib.run_keyword("log_test_summary", []) is None
    finally:
        lib.run_keyword("close_hub_session", [])
        lib.close()
    assert gone(run_dir, mark)


def test_a_keyword_that_failed_because_the_hub_died_says_so() -> None:
    lib = AgentComLibrary(hub_command=f"{PY} {FAKE} {{port}}", bootstrap_token=TOKEN)
    lib.open_hub_session()
    hub = lib.ctx.session.managed
    try:
        os.killpg(hub.pid, signal.SIGKILL)
        wait_until(lambda: hub.exit_code() is not None, timeout=10)
        with pytest.raises(HubProcessExited, match="was killed by signal 9 during the run"):
            lib.run_keyword("get_run_id", [])
    finally:
        lib.close()


def test_command_hub_session_restarts_and_times_out_with_contract_timers() -> None:
    lib = AgentComLibrary(
        hub_command=EMBEDDED_CMD, hub_token_file=EMBEDDED_TOKEN, hub_timers="ping_timeout=2s"
    )
    lib.open_hub_session()
    try:
        session = lib.ctx.session
        assert session.embedded is None and session.managed is not None
        assert session.timers.get("ping_timeout") == 2.0
        assert session.timers.get("acceptance_timeout") == 60.0
        task = lib.submit_task("kept")
        old = session.managed.pid
        lib.restart_hub("kill")
        assert session.managed.pid != old
        lib.task_status_should_be(task, "queued")
    finally:
        lib.close()


def test_timers_of_the_embedded_hub_and_hub_timers() -> None:
    timers = HubTimers.of_embedded(["--ping-timeout", "3s", "--acceptance-timeout=500ms"])
    assert (timers.ping_timeout, timers.acceptance_timeout, timers.liveness_sweep) == (
        3.0,
        0.5,
        0.75,
    )
    assert HubTimers().overridden("ping_timeout=30s, liveness_sweep=10s").ping_timeout == 30
    with pytest.raises(HubTimersError, match="no timer 'ping'"):
        HubTimers().overridden("ping=3s")
    with pytest.raises(HubTimersError, match="not name=duration"):
        HubTimers().overridden("3s")


RUNNER = textwrap.dedent(
    """
    import json, signal, sys, time
    from AgentComLibrary.hubapi.launcher import HubLauncher, TokenSource
    # Ctrl-C raises KeyboardInterrupt, also when this test runs in a background job (a
    # shell without job control starts those with SIGINT ignored, and children inherit it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    hub = HubLauncher(sys.argv[1], token=TokenSource("given", "ab" * 32)).start()
    print(json.dumps({"dir": str(hub.tmp_dir), "mark": hub.tmp_dir.name}), flush=True)
    time.sleep(120)
    """
)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_a_runner_that_is_interrupted_or_killed_leaves_nothing(
    tmp_path: Path, how: signal.Signals
) -> None:
    """Ctrl-C: the exit handler stops the hub. SIGKILL: the watchdog does, grandchildren
    that left the process group included, and removes the run directory."""
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    command = f"{PY} {FAKE} {{port}} --grandchild"
    runner = subprocess.Popen(
        [sys.executable, str(script), command], stdout=subprocess.PIPE, text=True
    )
    info: dict = {}
    try:
        info = json.loads(runner.stdout.readline())
        assert len(marked_pids(info["mark"])) >= 3  # sh, fakehub, the escaped sleep
        runner.send_signal(how)
        runner.wait(20)
        wait_until(lambda: gone(Path(info["dir"]), info["mark"]), timeout=20)
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.stdout.close()
        if info and not gone(Path(info["dir"]), info["mark"]):  # keep the machine clean
            for pid in marked_pids(info["mark"]):
                os.kill(pid, signal.SIGKILL)


def test_stale_sweep_ends_marked_processes_of_a_dead_owner(tmp_path: Path) -> None:
    run_dir = tmp_path / "agentcom-hub-stale1"
    run_dir.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (run_dir / rundirs.OWNER_FILE).write_text(json.dumps({"pid": dead.pid}))
    env = {**os.environ, "AGENTCOM_HUB_MARK": run_dir.name}
    leftover = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    try:
        # until the child has exec'd, its environment is ours, without the mark (a busy
        # machine showed it): a real leftover has long been running
        assert wait_until(lambda: leftover.pid in marked_pids(run_dir.name), timeout=10)
        assert rundirs.remove_stale(tmp_path) == [run_dir]
        assert leftover.wait(5) is not None and not run_dir.exists()
    finally:
        if leftover.poll() is None:
            leftover.kill()


def test_a_health_check_answered_with_something_not_http_is_no_answer() -> None:
    # what a TCP self-connect reads back (a port of the ephemeral range nothing listens on
    # yet): its own request line, which is no HTTP status line
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def echo_once() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(1024).split(b"\r\n")[0] + b"\r\n\r\n")

    thread = threading.Thread(target=echo_once, daemon=True)
    thread.start()
    try:
        status = hub_launcher._health_status(f"http://127.0.0.1:{server.getsockname()[1]}/health")
    finally:
        thread.join(5)
        server.close()
    assert isinstance(status, str) and status.startswith("no answer (BadStatusLine"), status
