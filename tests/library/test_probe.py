"""ProbeConnection (raw frames for contract tests) against the real hub."""

from __future__ import annotations

import threading

import pytest
from AgentComLibrary.agents.probe import ProbeConnection, ProbeError
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub


def test_replies_in_order_and_pushes_skipped(hub: EmbeddedHub, client: HubClient, run_id) -> None:
    probe = ProbeConnection("p", hub.ws_url)
    try:
        probe.send('{"type": "ping"}')
        assert probe.next_reply(10) == {"type": "error", "error": "not_identified"}
        probe.send("not json")
        assert probe.next_reply(10)["error"] == "invalid_json"
        agent_id = f"smoke-{run_id}-probe"
        probe.send_json(
            {
                "type": "identify",
                "agent_id": agent_id,
                "token": client.create_token(agent_id),
                "name": "probe",
                "status": "idle",
                "capabilities": [f"smoke-{run_id}"],
            }
        )
        assert probe.next_reply(10) == {"type": "identified", "agent_id": agent_id}
        task_id = client.submit_task(
            {"description": "probe", "needed_capabilities": [f"smoke-{run_id}"]}
        )["task_id"]
        assign = probe.next_of_type("task_assign", 10)
        assert (assign["task_id"], assign["generation"]) == (task_id, 1)
        probe.send_json({"type": "ping"})
        assert probe.next_reply(10)["type"] == "pong"  # the task_assign push is skipped
        with pytest.raises(
            ProbeError, match=r"expected a reply within 200 milliseconds, but none came"
        ):
            probe.next_reply(0.2)
    finally:
        probe.close()
    assert not [t for t in threading.enumerate() if t.name == "probe-p" and t.is_alive()]
    with pytest.raises(ProbeError, match="could not send"):
        probe.send("{}")


def test_unreachable(run_id) -> None:
    with pytest.raises(ProbeError, match="could not connect"):
        ProbeConnection("p", "ws://127.0.0.1:9/ws", timeout=2)
