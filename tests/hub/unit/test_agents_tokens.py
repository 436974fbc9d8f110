"""Agent state records and the token registry."""

from __future__ import annotations

import hashlib
import json
import stat

from agentcom_hub.agents import AgentRegistry
from agentcom_hub.store import Store
from agentcom_hub.tokens import TokenRegistry, mask


def test_agent_state_machine(clock):
    agents = AgentRegistry(clock=clock)
    agents.join("a", "A", "idle", ["c"])
    agents.assign("a", "t1", 1)
    assert agents.get("a").fsm_state == "assigned"
    assert not agents.accept("a", "other-task")
    assert agents.accept("a", "t1")
    assert agents.get("a").fsm_state == "working"
    clock.advance(3)
    assert agents.finish("a", "t1")
    record = agents.get("a")
    assert record.fsm_state == "idle" and record.current_task_id is None
    assert record.last_state_change == clock.now


def test_completion_without_acceptance_leaves_agent_assigned(clock):
    agents = AgentRegistry(clock=clock)
    agents.join("a", "A", "idle", [])
    agents.assign("a", "t1", 1)
    assert not agents.finish("a", "t1")
    assert agents.get("a").fsm_state == "assigned"
    assert agents.idle() == []
    assert agents.release("a", flag="unresponsive")
    assert agents.get("a").fsm_state == "idle" and agents.get("a").flags == ["unresponsive"]


def test_idle_longest_first_and_unfair_order(clock):
    fair = AgentRegistry(clock=clock)
    unfair = AgentRegistry(unfair=True, clock=clock)
    for registry in (fair, unfair):
        for name in ("first", "second", "third"):
            registry.join(name, name, "idle", [])
        registry.assign("first", "t", 1)
        registry.accept("first", "t")
        registry.finish("first", "t")
    assert [a for a, _ in fair.idle()] == ["second", "third", "first"]
    assert [a for a, _ in unfair.idle()] == ["first", "second", "third"]


def test_join_replaces_and_leave_forgets(clock):
    agents = AgentRegistry(clock=clock)
    agents.join("a", "old", "idle", [])
    agents.assign("a", "t", 1)
    record = agents.join("a", "new", "busy", ["x"])
    assert record.fsm_state == "idle" and record.name == "new" and len(agents) == 1
    assert record.public() == {
        "agent_id": "a",
        "name": "new",
        "status": "busy",
        "capabilities": ["x"],
        "connected_at": clock.now,
        "fsm_state": "idle",
    }
    assert record.state()["capabilities"] == [{"name": "x"}]
    assert "last_state_change" in record.state(with_change=True)
    assert agents.leave("a") is record and agents.get("a") is None and agents.idle() == []


def test_tokens_are_hashed_listed_by_prefix_and_revoked(tmp_path):
    store = Store.open(tmp_path)
    tokens = TokenRegistry(store)
    token = tokens.create("agent-1")
    assert len(token) == 64 and int(token, 16) >= 0
    assert tokens.lookup(token) == "agent-1"
    assert tokens.lookup(token[:-1] + "x") is None
    assert tokens.lookup(None) is None and tokens.lookup(123) is None
    assert tokens.listing() == [{"agent_id": "agent-1", "token_prefix": f"{token[:8]}..."}]
    assert mask(token) == f"{token[:8]}..."
    rows = store.tokens()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "agent-1", token[:8])]
    store.close()
    store = Store.open(tmp_path)
    reopened = TokenRegistry(store)
    assert reopened.lookup(token) == "agent-1"
    assert reopened.revoke("agent-1") == 1
    assert reopened.lookup(token) is None and reopened.revoke("agent-1") == 0
    store.close()


def test_bootstrap_token_is_reused_from_a_private_file(tmp_path):
    stores = [Store.open(tmp_path), Store.open(tmp_path)]
    first = TokenRegistry(stores[0]).bootstrap("admin", tmp_path)
    path = tmp_path / "bootstrap-token.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == first
    again = TokenRegistry(stores[1])
    assert again.bootstrap("admin", tmp_path) == first
    assert len(again.listing()) == 1
    for store in stores:
        store.close()
    volatile = TokenRegistry(Store.volatile())
    assert volatile.bootstrap("admin", tmp_path) == first
    assert volatile.lookup(first) == "admin"
