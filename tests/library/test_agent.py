"""SimulatedAgent against the real hub (behaviours, kill/close, reconnect, journal) and
against a raw WebSocket server (what exactly goes on the wire)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from AgentComLibrary.agents.simulated import AgentError, AgentHandle, SimulatedAgent
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from AgentComLibrary.util.choices import Behaviour
from libsupport import Agents, wait_until
from wsserver import RawWsServer


@pytest.fixture
def server() -> Iterator[RawWsServer]:
    """A bare WebSocket server that records what a client sends (closed after the test)."""
    server = RawWsServer()
    yield server
    server.close()


def started_on(server: RawWsServer, name: str) -> SimulatedAgent:
    """A simulated agent ``name`` (id ``name`` too) connected to the bare server."""
    return SimulatedAgent(name, name, "t" * 64, server.url, "run").start(timeout=10)


def agent_threads(name: str) -> list[threading.Thread]:
    return [
        t for t in threading.enumerate() if t.name.startswith(f"agent-{name}-") and t.is_alive()
    ]


# -- behaviours ----------------------------------------------------------------------------


def test_complete_journal(agents: Agents) -> None:
    agent = agents.start("w")
    assert isinstance(agent, AgentHandle)
    task_id = agents.submit()
    assert agent.wait_for(lambda: task_id in agent.completed_ids(), 15)
    task = agents.task(task_id)
    assert task["status"] == "completed" and task["result"]["agent"] == "w"
    [received] = agent.received_tasks()
    assert (received.task_id, received.generation) == (task_id, 1)
    assert (
        received.assigned_at == task["assigned_at"] and received.received_at >= received.assigned_at
    )
    assert [(r.kind, r.generation) for r in agent.reports] == [
        ("task_accepted", None),
        ("task_complete", 1),
    ]
    assert [a.status for a in agent.acks] == ["accepted", "complete"]
    assert agent.rejections == [] and agent.foreign == []


def test_slow_completes_after_delay(agents: Agents) -> None:
    agent = agents.start("s", Behaviour.SLOW, delay=0.6)
    task_id = agents.submit()
    agents.wait_status(task_id, "assigned")
    assert agent.wait_for(lambda: task_id in agent.completed_ids(), 15)
    received = agent.received_tasks()[0]
    done = next(a for a in agent.acks if a.status == "complete")
    assert done.at - received.received_at >= 550
    assert agents.task(task_id)["status"] == "completed"


def test_fail_retries_then_dead_letters(agents: Agents) -> None:
    agent = agents.start("f", Behaviour.FAIL)
    task_id = agents.submit(max_retries=2)
    task = agents.wait_status(task_id, "dead_letter")
    assert task["last_error"] == "simulated failure by f"
    assert agent.wait_for(lambda: len(agent.acks_for(task_id)) >= 4, 15)
    statuses = [a.status for a in agent.acks_for(task_id)]
    assert statuses == ["accepted", "retried", "accepted", "dead_letter"]
    assert agent.completed_ids() == []


def test_ignore_never_accepts_and_is_flagged(agents: Agents, client: HubClient) -> None:
    agent = agents.start("i", Behaviour.IGNORE)
    task_id = agents.submit()
    assert agent.wait_for(lambda: task_id in agent.received_ids(), 15)
    state = wait_until(
        lambda: (
            (s := client.agent_state(agent.agent_id)) and "unresponsive" in str(s["flags"]) and s
        )
    )
    assert agent.reports == []
    history = [e["event"] for e in agents.task(task_id)["history"]]
    assert "reclaimed" in history
    assert state["agent_id"] == agent.agent_id


def test_hold_accepts_and_never_finishes(agents: Agents, client: HubClient) -> None:
    agent = agents.start("h", Behaviour.HOLD)
    task_id = agents.submit()
    assert agent.wait_for(lambda: any(a.status == "accepted" for a in agent.acks), 15)
    assert agents.task(task_id)["status"] == "assigned"
    assert client.agent_state(agent.agent_id)["fsm_state"] == "working"
    assert [r.kind for r in agent.reports] == ["task_accepted"]


def test_omit_generation_is_rejected_and_not_counted(agents: Agents) -> None:
    agent = agents.start("o", Behaviour.OMIT_GENERATION)
    task_id = agents.submit()
    assert agent.wait_for(lambda: agent.rejections_for(task_id), 15)
    [rejection] = agent.rejections_for(task_id)
    assert (rejection.report, rejection.reason) == ("task_complete", "stale_generation")
    assert rejection.error == "task_complete_failed: stale_generation"
    complete = [r for r in agent.reports if r.kind == "task_complete"]
    assert len(complete) == 1 and complete[0].generation is None
    assert agent.completed_ids() == []  # counts are of acknowledged reports
    assert agents.task(task_id)["status"] == "assigned"


def test_behaviour_switches_at_run_time(agents: Agents) -> None:
    agent = agents.start("sw", Behaviour.HOLD)
    first = agents.submit("first")
    assert agent.wait_for(lambda: first in agent.received_ids(), 15)
    agent.set_behaviour(Behaviour.COMPLETE)
    answer = agent.complete(first, agent.last_assignment(first).generation, wait=10)
    assert answer == {"type": "task_ack", "task_id": first, "status": "complete"}
    second = agents.submit("second")
    assert agent.wait_for(lambda: second in agent.completed_ids(), 15)
    assert agent.completed_ids() == [first, second]


def test_report_answers_and_rejections_are_correlated(agents: Agents) -> None:
    agent = agents.start("r", Behaviour.HOLD)
    task_id = agents.submit()
    assert agent.wait_for(lambda: task_id in agent.received_ids(), 15)
    stale = agent.complete(task_id, 7, wait=10)
    assert stale == {"type": "error", "error": "task_complete_failed: stale_generation"}
    failed = agent.fail("task-ffffffffffffffff", 1, "nope", wait=10)
    assert failed["error"].startswith("task_fail_failed")
    assert [r.task_id for r in agent.rejections] == [task_id, "task-ffffffffffffffff"]
    assert agent.complete(task_id, 1, wait=10)["status"] == "complete"
    assert agent.completed_ids() == [task_id]


def test_foreign_task_is_left_alone(agents: Agents) -> None:
    agent = agents.start("shared", Behaviour.COMPLETE)
    task_id = agents.submit("someone else's", run="other-run")
    assert agent.wait_for(lambda: agent.foreign_tasks(), 15)
    [foreign] = agent.foreign_tasks()
    assert foreign["task_id"] == task_id and foreign["metadata"]["smoke_run"] == "other-run"
    assert agent.reports == [] and agent.received_ids() == []
    assert agents.task(task_id)["status"] == "assigned"


# -- identify ------------------------------------------------------------------------------


def test_invalid_token_fails_with_hub_error(hub: EmbeddedHub, run_id: str) -> None:
    token = "cd" * 32
    agent = SimulatedAgent("bad", f"smoke-{run_id}-bad", token, hub.ws_url, run_id)
    with pytest.raises(AgentError) as info:
        agent.start(timeout=10)
    message = str(info.value)
    assert "error 'invalid_token'" in message and "cdcdcdcd..." in message
    assert token not in message and token not in repr(agent)
    assert not agent_threads("bad")


def test_token_of_another_agent_is_refused(
    hub: EmbeddedHub, client: HubClient, run_id: str
) -> None:
    token = client.create_token(f"smoke-{run_id}-owner")
    agent = SimulatedAgent("thief", f"smoke-{run_id}-thief", token, hub.ws_url, run_id)
    with pytest.raises(AgentError, match="token_agent_mismatch"):
        agent.start(timeout=10)


def test_unreachable_hub_fails_to_connect(run_id: str) -> None:
    agent = SimulatedAgent("lost", "x", "t" * 64, "ws://127.0.0.1:9/ws", run_id)
    with pytest.raises(AgentError, match=r"could not connect to ws://127\.0\.0\.1:9/ws"):
        agent.start(timeout=5)


# -- ending connections --------------------------------------------------------------------


def test_kill_resets_without_close_frame(server: RawWsServer) -> None:
    agent = started_on(server, "k")
    agent.kill()
    assert server.wait_for("reset")
    assert "close" not in server.kinds()
    assert agent.state == "killed" and not agent_threads("k")


def test_close_sends_close_frame(server: RawWsServer) -> None:
    agent = started_on(server, "c")
    agent.close()
    assert server.wait_for("close")
    code = next(v for k, v in server.events if k == "close")
    assert code[:2] == b"\x03\xe8"  # 1000
    assert "reset" not in server.kinds()
    assert agent.state == "closed" and not agent_threads("c")


def test_unknown_message_types_are_ignored(server: RawWsServer) -> None:
    agent = started_on(server, "u")
    server.send_json({"type": "agent_joined", "agent_id": "someone"})
    server.send_json({"type": "something_new"})
    assert agent.wait_for(lambda: agent.ignored_types.get("something_new"), 10)
    assert agent.ignored_types["agent_joined"] == 1 and agent.connected
    agent.stop()


def test_pings_on_its_own(hub: EmbeddedHub, agents: Agents) -> None:
    agent = agents.start("p", ping_interval=0.1)
    assert agent.wait_for(lambda: agent.ignored_types.get("pong", 0) >= 2, 10)


@pytest.mark.parametrize("end", ["kill", "close"])
def test_hub_reclaims_after_kill_or_close(agents: Agents, end: str) -> None:
    agent = agents.start("v", Behaviour.HOLD)
    task_id = agents.submit()
    assert agent.wait_for(lambda: any(a.status == "accepted" for a in agent.acks), 15)
    getattr(agent, end)()
    task = agents.wait_status(task_id, "queued")
    assert task["generation"] == 2
    assert [e["event"] for e in task["history"]][:1] == ["reclaimed"]


def test_reconnect_same_agent_gets_the_task_again(agents: Agents, client: HubClient) -> None:
    agent = agents.start("back", Behaviour.HOLD)
    task_id = agents.submit()
    assert agent.wait_for(lambda: task_id in agent.received_ids(), 15)
    agent.kill()
    agents.wait_status(task_id, "queued")
    agent.set_behaviour(Behaviour.COMPLETE)
    agent.reconnect()
    assert agent.connected and agent.connections == 2
    assert agent.wait_for(lambda: task_id in agent.completed_ids(), 15)
    assert [r.generation for r in agent.received_tasks()] == [1, 3]
    assert client.get_task(task_id).assigned_to == agent.agent_id


def test_hub_going_away_marks_the_connection_lost(run_id: str) -> None:
    hub = EmbeddedHub().start()
    try:
        client = HubClient(hub.url, hub.token)
        agent_id = f"smoke-{run_id}-orphan"
        agent = SimulatedAgent(
            "orphan", agent_id, client.create_token(agent_id), hub.ws_url, run_id
        )
        agent.start(timeout=10)
        hub.restart("terminate")
        assert agent.wait_for(lambda: agent.state == "lost", 15)
        with pytest.raises(AgentError, match="not connected"):
            agent.accept("task-0")
        agent.reconnect()
        assert agent.connected
        agent.stop()
        assert not agent_threads("orphan")
    finally:
        hub.stop()


def test_stop_ends_threads_and_timers(agents: Agents) -> None:
    agent = agents.start("t", Behaviour.SLOW, delay=30)
    task_id = agents.submit()
    assert agent.wait_for(lambda: task_id in agent.received_ids(), 15)
    agent.stop()
    assert not agent_threads("t") and not agent._timers
    assert agent.state == "closed"
