"""Session keywords: embedded and external hubs, clear failures, tokens, restart, close."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from AgentComLibrary import AgentComLibrary, RestartMode
from AgentComLibrary.hubapi.client import HubClient, HubUnavailable
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from libsupport import FULL_TOKEN
from robot.api.types import Secret
from test_embedded_hub import pid_alive


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_session_lifecycle(robot_log) -> None:
    lib = AgentComLibrary()
    run_id = lib.open_hub_session(hub_faults="ignore-priority", hub_options="--stuck-threshold 9s")
    try:
        assert re.fullmatch(r"[0-9a-f]{8}", run_id) and lib.get_run_id() == run_id
        hub = lib.ctx.session.embedded
        assert hub is not None and hub.faults == ["ignore-priority"]
        assert hub.options == ["--stuck-threshold", "9s"]
        lib.hub_should_be_healthy()
        pid, tmp_dir = hub.pid, hub.tmp_dir
        opened = [m for _, m in robot_log if m.startswith("Hub session open")]
        assert "embedded hub at http://127.0.0.1:" in opened[0] and "ignore-priority" in opened[0]
        assert f"run id {run_id}" in opened[0]
    finally:
        lib.close_hub_session()
    assert not pid_alive(pid) and not tmp_dir.exists()
    assert any("Embedded hub log" in m for _, m in robot_log)
    lib.close_hub_session()  # twice is fine
    with pytest.raises(RuntimeError, match="call 'Open Hub Session' first"):
        lib.get_run_id()


def test_acceptance_timeout_reaches_the_embedded_hub() -> None:
    lib = AgentComLibrary()
    lib.open_hub_session(acceptance_timeout=timedelta(milliseconds=700))
    try:
        cmd = lib.ctx.session.embedded.command()
        assert cmd[cmd.index("--acceptance-timeout") + 1] == "700ms"
    finally:
        lib.close()


def test_unreachable_external_hub() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    lib = AgentComLibrary(hub_url=url, bootstrap_token="ab" * 32)
    with pytest.raises(HubUnavailable, match=f"not reachable at {url}"):
        lib.open_hub_session()
    assert lib.ctx.session is None


def test_external_hub_needs_a_token(hub: EmbeddedHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTCOM_TOKEN", raising=False)
    with pytest.raises(ValueError, match=r"No bootstrap token for the hub at .*AGENTCOM_TOKEN"):
        AgentComLibrary(hub_url=hub.url).open_hub_session()


def test_token_from_the_environment(hub: EmbeddedHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCOM_TOKEN", hub.token)
    lib = AgentComLibrary(hub_url=hub.url)
    lib.open_hub_session()
    lib.close()


def test_secret_bootstrap_token(hub: EmbeddedHub) -> None:
    lib = AgentComLibrary(hub_url=hub.url, bootstrap_token=Secret(hub.token))
    lib.open_hub_session()
    assert lib.ctx.session.client.token == hub.token
    lib.close()


def test_rejected_bootstrap_token_is_named_by_prefix(hub: EmbeddedHub) -> None:
    token = "ef" * 32
    with pytest.raises(AssertionError) as info:
        AgentComLibrary(hub_url=hub.url, bootstrap_token=token).open_hub_session()
    assert "rejected the bootstrap token efefefef... (401" in str(info.value)
    assert token not in str(info.value)


def test_faults_need_the_embedded_hub(hub: EmbeddedHub) -> None:
    lib = AgentComLibrary(hub_url=hub.url, bootstrap_token=hub.token, hub_faults="no-auth")
    with pytest.raises(ValueError, match="only apply to the embedded hub"):
        lib.open_hub_session()


def test_foreign_task_guard(robot_log) -> None:
    other = EmbeddedHub().start()
    try:
        task_id = HubClient(other.url, other.token).submit_task({"description": "real work"})[
            "task_id"
        ]
        lib = AgentComLibrary(hub_url=other.url, bootstrap_token=other.token)
        with pytest.raises(AssertionError) as info:
            lib.open_hub_session()
        message = str(info.value)
        assert f"{task_id} 'real work' (submitted by smoke-admin)" in message
        assert "1 queued task that need no capability" in message
        assert "ALLOW_FOREIGN_TASKS" in message
        assert lib.ctx.session is None
        lib.open_hub_session(allow_foreign_tasks=True)
        assert any(level == "WARN" and task_id in m for level, m in robot_log)
        lib.close()
    finally:
        other.stop()


def test_create_and_revoke_agent_token(lib: AgentComLibrary, client: HubClient, robot_log) -> None:
    agent_id = f"smoke-{lib.get_run_id()}-outsider"
    token = lib.create_agent_token(agent_id)
    assert isinstance(token, Secret) and len(token.value) == 64
    assert str(token) == "<secret>"
    assert any(f"{token.value[:8]}..." in m for _, m in robot_log)
    assert any(t["agent_id"] == agent_id for t in client.list_tokens())
    lib.revoke_agent_token(agent_id)
    assert not any(t["agent_id"] == agent_id for t in client.list_tokens())
    assert not any(FULL_TOKEN.search(m) for _, m in robot_log)


def test_close_revokes_tokens_on_an_external_hub(hub: EmbeddedHub, client: HubClient) -> None:
    lib = AgentComLibrary(hub_url=hub.url, bootstrap_token=hub.token)
    run_id = lib.open_hub_session()
    lib.start_agent("temp")
    lib.create_agent_token(f"smoke-{run_id}-extra")
    lib.close_hub_session()
    assert not [t for t in client.list_tokens() if t["agent_id"].startswith(f"smoke-{run_id}")]


def test_restart_needs_a_hub_the_library_started(lib: AgentComLibrary) -> None:
    with pytest.raises(AssertionError, match=r"needs a hub the library starts.*'managed-hub'"):
        lib.restart_hub(RestartMode.KILL)
    with pytest.raises(AssertionError, match=r"needs a hub the library starts"):
        lib.restart_embedded_hub(RestartMode.KILL)  # the deprecated alias


@pytest.mark.parametrize("mode", list(RestartMode))
def test_restart_embedded_hub(mode: RestartMode) -> None:
    lib = AgentComLibrary(timeout=timedelta(seconds=20))
    lib.open_hub_session()
    try:
        lib.start_agent("phoenix")
        before = lib.submit_task("before")
        lib.wait_until_task_is_completed(before)
        # Also waits for the agent's ack: a hub killed between recording the completion and
        # sending the ack would (rightly) fail the same check after the restart.
        lib.task_should_be_completed(before)
        old_pid = lib.ctx.session.embedded.pid
        lib.restart_hub(mode)
        assert lib.ctx.session.embedded.pid != old_pid
        lib.task_should_be_completed(before)
        agent = lib.ctx.agents.get("phoenix")
        assert agent.wait_for(lambda: agent.state == "lost", 10)
        lib.reconnect_agent("phoenix")
        after = lib.submit_task("after")
        lib.wait_until_task_is_completed(after)
        lib.task_should_be_completed_by(after, "phoenix")
    finally:
        lib.close()


def test_open_twice_closes_the_first_session(robot_log) -> None:
    lib = AgentComLibrary()
    lib.open_hub_session()
    first = lib.ctx.session.embedded
    pid = first.pid
    try:
        lib.open_hub_session()
        assert not pid_alive(pid) and lib.ctx.session.embedded is not first
        assert any(level == "WARN" and "still open" in m for level, m in robot_log)
    finally:
        lib.close()


def test_listener_close_stops_agents_and_hub() -> None:
    lib = AgentComLibrary()
    lib.open_hub_session()
    lib.start_agents(2)
    hub = lib.ctx.session.embedded
    pid, tmp_dir = hub.pid, hub.tmp_dir
    agents = list(lib.ctx.agents.active.values())
    lib.close()  # what Robot calls at the end of the run
    assert all(a.state == "closed" for a in agents)
    assert not pid_alive(pid) and not tmp_dir.exists()
    assert lib.ctx.session is None
