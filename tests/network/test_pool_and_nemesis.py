"""Agent pools over loopback, the nftables rule text and the delaying proxy (no root)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from AgentComLibrary.network.nemesis import DelayProxy, FirewallNemesis
from AgentComLibrary.pool.registry import PoolRegistry, parse_pools
from AgentComLibrary.pool.remote_agent import PoolClient, PoolError, RemoteAgent
from AgentComLibrary.util.choices import Behaviour
from poolsupport import SECRET, start_pool_agent, submit_run_task

RUN = "pooltest"


@pytest.fixture(scope="module")
def hub() -> Iterator[EmbeddedHub]:
    hub = EmbeddedHub().start()
    yield hub
    hub.stop()


def _agent(pool: PoolClient, hub: EmbeddedHub, name: str, behaviour: Behaviour) -> RemoteAgent:
    return start_pool_agent(pool, hub, RUN, name, behaviour)


def _submit(hub: EmbeddedHub) -> str:
    return submit_run_task(hub, RUN)


def test_a_pool_agent_completes_a_task_and_journals_it(hub: EmbeddedHub, pool_url: str) -> None:
    pool = PoolClient(pool_url, "p", SECRET)
    agent = _agent(pool, hub, "worker", Behaviour.COMPLETE)
    try:
        assert agent.connected
        task = _submit(hub)
        assert agent.wait_for(lambda: task in agent.completed_ids(), 10)
        assert agent.received_ids() == [task]
        kinds = [e["kind"] for e in agent.journal() if e.get("task_id") == task]
        assert kinds[0] == "received" and "ack" in kinds and "report" in kinds
        assert all(
            isinstance(e["at"], int) and e["at"] > 1_600_000_000_000 for e in agent.journal()
        )
    finally:
        agent.stop()
    assert not agent.connected
    assert task in agent.completed_ids()  # the journal stays after stop


def test_a_stale_completion_from_a_pool_agent_is_rejected(hub: EmbeddedHub, pool_url: str) -> None:
    pool = PoolClient(pool_url, "p", SECRET)
    agent = _agent(pool, hub, "holder", Behaviour.HOLD)
    try:
        task = _submit(hub)
        assert agent.wait_for(lambda: agent.last_assignment(task) is not None, 10)
        answer = agent.complete(task, 99, wait=5)
        assert answer == {"type": "error", "error": "task_complete_failed: stale_generation"}
        assert [r.reason for r in agent.rejections_for(task)] == ["stale_generation"]
        agent.complete(task, agent.last_assignment(task).generation, wait=5)
        assert task in agent.completed_ids()
    finally:
        agent.stop()


def test_a_pool_refuses_calls_without_its_secret(pool_url: str) -> None:
    with pytest.raises(PoolError, match="shared secret"):
        PoolClient(pool_url, "p", "wrong").info()
    assert PoolClient(pool_url, "p", SECRET).info()["pid"] > 0


def test_an_unreachable_pool_is_named() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PoolError, match=r"Agent pool 'gone' \(http://127.0.0.1:\d+\)"):
        PoolRegistry().connect(f"http://127.0.0.1:{port}", alias="gone", secret="", timeout=2)


def test_pool_lists_and_placement() -> None:
    assert parse_pools("far=http://a:1, http://b:2") == [
        ("far", "http://a:1"),
        ("pool-2", "http://b:2"),
    ]
    registry = PoolRegistry()
    assert registry.choose("") is None and registry.choose("local") is None
    with pytest.raises(PoolError, match="No agent pool 'x'"):
        registry.choose("x")


def test_the_firewall_rules_cut_both_ways_and_only_the_hub_ports() -> None:
    nemesis = FirewallNemesis(None, {4000, 5000})
    from AgentComLibrary.network.nemesis import PathFaults

    nemesis.paths["10.213.1.2"] = PathFaults(partitioned=True)
    nemesis.paths["10.213.1.3"] = PathFaults(loss_percent=10)
    rules = nemesis.ruleset()
    assert "ip saddr 10.213.1.2 tcp dport { 4000, 5000 } counter drop" in rules
    assert "ip daddr 10.213.1.2 tcp sport { 4000, 5000 } counter drop" in rules
    assert (
        "ip saddr 10.213.1.3 tcp dport { 4000, 5000 } numgen random mod 100 < 10 counter drop"
        in rules
    )
    assert "hook input" in rules and "hook output" in rules
    with pytest.raises(ValueError):
        nemesis.set_loss("10.213.1.3", 101)


def test_the_proxy_delays_each_direction(tmp_path: Path) -> None:
    echo = socket.create_server(("127.0.0.1", 0))
    upstream = echo.getsockname()

    def serve() -> None:
        conn, _ = echo.accept()
        with conn:
            while data := conn.recv(100):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    proxy = DelayProxy("127.0.0.1", upstream, 0.15, 0.0)
    try:
        port = proxy.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            began = time.monotonic()
            sock.sendall(b"ping")
            assert sock.recv(100) == b"ping"
            took = time.monotonic() - began
        assert 0.29 <= took < 1.5, f"round trip through 2 x 150 ms took {took:.3f} s"
    finally:
        proxy.stop()
        echo.close()
    assert not proxy.process.running
