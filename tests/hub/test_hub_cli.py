"""The hub's command line: ready file, signals, --parent-pid, --bootstrap-agent, logs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hubapi import TOKEN_RE, wait_for
from hubproc import HubProcess, HubStartError, run_hub_cli
from hubsession import StartHub, uid


def test_ready_file_content(start_hub: StartHub) -> None:
    hub = start_hub()
    ready = json.loads(hub.proc.ready_file.read_text())
    assert set(ready) == {"url", "ws_url", "token", "pid"}
    port = hub.proc.port
    assert port > 0
    assert ready["url"] == f"http://127.0.0.1:{port}"
    assert ready["ws_url"] == f"ws://127.0.0.1:{port}/ws"
    assert TOKEN_RE.match(ready["token"])
    assert ready["pid"] == hub.proc.pid
    leftovers = [
        p.name
        for p in hub.proc.ready_file.parent.iterdir()
        if p.name.startswith(hub.proc.ready_file.name) and p != hub.proc.ready_file
    ]
    assert leftovers == [], f"temp files left beside the ready file: {leftovers}"


def test_ready_file_is_never_partial(tmp_path: Path) -> None:
    """Poll the ready file as fast as possible during start: every read is whole JSON."""
    proc = HubProcess(tmp_path / "data", run_dir=tmp_path)
    proc.ready_file.unlink(missing_ok=True)
    with open(tmp_path / "stderr.log", "wb") as err:
        popen = subprocess.Popen(proc.command(), stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + 30
        reads = 0
        while time.monotonic() < deadline:
            try:
                text = proc.ready_file.read_text()
            except FileNotFoundError:
                assert popen.poll() is None, (tmp_path / "stderr.log").read_text()[-2000:]
                continue
            reads += 1
            assert set(json.loads(text)) == {"url", "ws_url", "token", "pid"}, text
            if reads >= 20:
                break
        assert reads >= 1, "ready file never appeared"
    finally:
        popen.send_signal(signal.SIGTERM)
        popen.wait(timeout=15)


def test_sigterm_exits_zero_and_keeps_data(start_hub: StartHub) -> None:
    hub = start_hub()
    task_id = hub.api.submit_id("kept", needed_capabilities=[f"cap-{uid()}"])
    ws = hub.agent("term")
    data_files = {p.name for p in hub.proc.data_dir.iterdir()}
    assert data_files, "the data dir is empty while the hub runs"
    assert hub.proc.stop() == 0
    keep = {n for n in data_files if not n.endswith(("-wal", "-shm", "-journal"))}
    after = {p.name for p in hub.proc.data_dir.iterdir()}
    assert keep <= after, f"SIGTERM removed {sorted(keep - after)} from the data dir"
    ws.close()
    hub.proc.start()
    hub.refresh()
    assert hub.api.task(task_id)["description"] == "kept"


def test_sigint_exits_zero(start_hub: StartHub) -> None:
    hub = start_hub()
    hub.proc.signal(signal.SIGINT)
    assert hub.proc.wait_exit(15) == 0


def test_parent_pid_gone_stops_hub(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    proc = HubProcess(tmp_path / "data", run_dir=tmp_path, parent_pid=parent.pid)
    try:
        proc.start()
        assert proc.alive()
        parent.kill()
        parent.wait(timeout=10)
        code = proc.wait_exit(15)
        assert code is not None, "hub still running 15s after its parent died"
    finally:
        proc.stop()
        if parent.poll() is None:
            parent.kill()


def test_bootstrap_agent_name(start_hub: StartHub) -> None:
    name = f"boot-{uid()}"
    hub = start_hub(bootstrap_agent=name)
    tokens = hub.api.expect(hub.api.get("/admin/tokens"), 200)["tokens"]
    assert {"agent_id": name, "token_prefix": hub.token[:8] + "..."} in tokens
    ws = hub.client()
    ws.identify(name, hub.token)
    task = hub.api.task(hub.api.submit_id("by boot", needed_capabilities=["nobody"]))
    assert task["submitted_by"] == name


def test_duration_formats_accepted(start_hub: StartHub) -> None:
    options = [
        "--acceptance-timeout", "250ms",
        "--stuck-sweep-interval", "1.5s",
        "--stuck-threshold", "5m",
        "--overdue-sweep-interval", "30",
        "--idle-timeout", "1h",
        "--ping-timeout", "2s",
    ]  # fmt: skip
    hub = start_hub(options=options)
    assert hub.api.health()["status"] == "ok"


def test_bad_duration_refused(tmp_path: Path) -> None:
    out = run_hub_cli("--port", "0", "--data-dir", str(tmp_path), "--acceptance-timeout", "soon")
    assert out.returncode != 0
    assert "soon" in out.stderr


def test_logs_mask_tokens_and_name_task_events(start_hub: StartHub) -> None:
    hub = start_hub()
    cap = f"cap-{uid()}"
    agent = hub.agent("logged", [cap])
    task_id = hub.api.submit_id("log me", needed_capabilities=[cap])
    assign = agent.next_assignment()
    agent.complete(task_id, assign["generation"])
    agent.close()
    wait_for(lambda: hub.api.health()["agents_connected"] == 0, what="agent gone")
    hub.proc.stop()
    log = hub.proc.stderr_text()
    assert task_id in log, "task events are not logged"
    assert agent.agent_id and agent.agent_id in log, "agent connect/disconnect not logged"
    for token in (hub.token, agent.token or ""):
        assert token not in log, f"a whole token ({token[:8]}...) appears in the hub's log"


def test_help_lists_every_option() -> None:
    out = run_hub_cli("--help", columns=200)
    assert out.returncode == 0
    for option in (
        "--host",
        "--port",
        "--data-dir",
        "--bootstrap-agent",
        "--ready-file",
        "--fault",
        "--list-faults",
        "--log-level",
        "--acceptance-timeout",
        "--stuck-sweep-interval",
        "--stuck-threshold",
        "--overdue-sweep-interval",
        "--idle-timeout",
        "--ping-timeout",
        "--parent-pid",
    ):
        assert option in out.stdout, f"{option} missing from --help"


def test_start_failure_shows_the_hubs_stderr(tmp_path: Path) -> None:
    """The test helper itself: a hub that dies at start is reported with its stderr tail."""
    proc = HubProcess(tmp_path / "data", run_dir=tmp_path, options=["--idle-timeout", "soon"])
    with pytest.raises(HubStartError, match="soon"):
        proc.start()
    assert not proc.alive()
