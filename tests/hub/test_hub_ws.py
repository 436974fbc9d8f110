"""Every WebSocket message and error of the contract, over real sockets."""

from __future__ import annotations

import time

import pytest
from hubapi import events, now_ms, wait_for
from hubsession import HubSession, uid
from hubwsclient import OMIT, WsClient

ASSIGN_FIELDS = {"type", "task_id", "description", "metadata", "generation", "assigned_at"}


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def capable(hub: HubSession, name: str = "ws") -> tuple[WsClient, str]:
    """An identified agent with a capability of its own."""
    cap = f"cap-{uid()}"
    return hub.agent(name, [cap]), cap


# -- identify --------------------------------------------------------------------------------


def test_identify_ok(hub: HubSession) -> None:
    agent_id = f"bb-id-{uid()}"
    token = hub.api.create_token(agent_id)
    ws = hub.client()
    reply = ws.identify(agent_id, token, ["a"], expect_ok=False)
    assert reply == {"type": "identified", "agent_id": agent_id}
    ws.assert_open()


def test_identify_ignores_extra_fields(hub: HubSession) -> None:
    agent_id = f"bb-extra-{uid()}"
    token = hub.api.create_token(agent_id)
    ws = hub.client()
    extra = {"client_type": "sidecar", "protocol_version": 2, "unexpected": {"x": [1]}}
    ws.identify(agent_id, token, ["x"], extra=extra)
    ws.assert_open()


def test_identify_with_bad_token_then_good_one(hub: HubSession) -> None:
    agent_id = f"bb-bad-{uid()}"
    token = hub.api.create_token(agent_id)
    ws = hub.client()
    for bad in ("0" * 64, "", "not-a-token", token.upper()):
        assert ws.identify(agent_id, bad, expect_ok=False) == {
            "type": "error",
            "error": "invalid_token",
        }, f"token {bad[:8]!r}..."
    ws.identify(agent_id, token)
    ws.assert_open()


def test_identify_with_another_agents_token(hub: HubSession) -> None:
    owner, thief = f"bb-own-{uid()}", f"bb-thief-{uid()}"
    token = hub.api.create_token(owner)
    ws = hub.client()
    assert ws.identify(thief, token, expect_ok=False) == {
        "type": "error",
        "error": "token_agent_mismatch",
    }
    # still open, still not identified; a correct identify works
    ws.identify(owner, token)
    ws.assert_open()
    assert all(a["agent_id"] != thief for a in hub.api.agents())


@pytest.mark.parametrize(
    "message",
    [
        {"type": "ping"},
        {"type": "task_accepted", "task_id": "task-0123456789abcdef"},
        {"type": "task_complete", "task_id": "task-0123456789abcdef", "generation": 1},
        {"type": "task_progress", "task_id": "task-0123456789abcdef"},
        {"type": "bogus"},
    ],
    ids=lambda m: m["type"],
)
def test_anything_before_identify_is_not_identified(hub: HubSession, message: dict) -> None:
    ws = hub.client()
    ws.send_json(message)
    ws.expect_error("not_identified")
    # the connection stays open: identify and ping work afterwards
    agent_id = f"bb-late-{uid()}"
    ws.identify(agent_id, hub.api.create_token(agent_id))
    ws.assert_open()


def test_invalid_json_keeps_connection_open(hub: HubSession) -> None:
    ws, _ = capable(hub)
    for text in ("{not json", "", "[1, 2", "ping", '{"type": "ping"'):
        ws.send_text(text)
        ws.expect_error("invalid_json")
        ws.assert_open()


def test_invalid_json_before_identify(hub: HubSession) -> None:
    ws = hub.client()
    ws.send_text("{nope")
    reply = ws.recv_json()
    # reading: decoding comes first, so invalid_json; not_identified would also be an error
    assert reply == {"type": "error", "error": "invalid_json"}, reply
    agent_id = f"bb-json-{uid()}"
    ws.identify(agent_id, hub.api.create_token(agent_id))


@pytest.mark.parametrize(
    "message",
    [{"type": "bogus"}, {"type": "task_rejected", "task_id": "x"}, {"type": "IDENTIFY"}],
    ids=lambda m: m["type"],
)
def test_unknown_type_keeps_connection_open(hub: HubSession, message: dict) -> None:
    ws, _ = capable(hub)
    ws.send_json(message)
    ws.expect_error("unknown_message_type")
    ws.assert_open()


def test_ping_pong_has_integer_timestamp(hub: HubSession) -> None:
    ws, _ = capable(hub)
    before = now_ms()
    ws.send_json({"type": "ping"})
    pong = ws.recv_json()
    after = now_ms()
    assert set(pong) == {"type", "timestamp"} and pong["type"] == "pong", pong
    assert is_int(pong["timestamp"]) and before - 5 <= pong["timestamp"] <= after + 5


# -- assignment and reports ------------------------------------------------------------------


def test_task_assign_fields(hub: HubSession) -> None:
    ws, cap = capable(hub)
    meta = {"smoke_run": "r1", "n": [1, 2]}
    task_id = hub.api.submit_id("assign me", metadata=meta, needed_capabilities=[cap])
    assign = ws.next_assignment()
    assert set(assign) == ASSIGN_FIELDS, f"task_assign fields: {sorted(assign)}"
    assert assign["task_id"] == task_id
    assert assign["description"] == "assign me"
    assert assign["metadata"] == meta
    assert assign["generation"] == 1
    task = hub.api.task(task_id)
    assert task["status"] == "assigned" and task["assigned_to"] == ws.agent_id
    assert task["assigned_at"] == assign["assigned_at"] and is_int(assign["assigned_at"])
    assert task["generation"] == 1
    assert task["history"][0] == {
        "event": "assigned",
        "timestamp": task["history"][0]["timestamp"],
        "details": {"agent_id": ws.agent_id, "generation": 1},
    }


def test_task_accepted_is_acked_even_for_unknown_task(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("accept", needed_capabilities=[cap])
    ws.next_assignment()
    assert ws.accept(task_id) == {"type": "task_ack", "task_id": task_id, "status": "accepted"}
    unknown = "task-ffffffffffffffff"
    assert ws.accept(unknown) == {"type": "task_ack", "task_id": unknown, "status": "accepted"}
    assert hub.api.task(task_id)["status"] == "assigned"


def assigned_a_while_ago(hub: HubSession, description: str) -> tuple[WsClient, str, int]:
    """An agent that received a new task (not accepted), the task id, and the task's
    ``updated_at`` once the millisecond clock has moved past it."""
    ws, cap = capable(hub)
    task_id = hub.api.submit_id(description, needed_capabilities=[cap])
    ws.next_assignment()
    before = hub.api.task(task_id)["updated_at"]
    while now_ms() <= before + 2:  # let the millisecond clock move past `before`
        time.sleep(0.005)
    return ws, task_id, before


def test_task_progress_has_no_reply_and_refreshes_updated_at(hub: HubSession) -> None:
    ws, task_id, before = assigned_a_while_ago(hub, "progress")
    ws.send_json({"type": "task_progress", "task_id": task_id})
    assert ws.drain_until_pong() == [], "task_progress must get no reply"
    hub.api.wait_task(task_id, lambda t: t["updated_at"] > before, what="updated_at refreshed")
    # progress on an unknown task is silent too
    ws.send_json({"type": "task_progress", "task_id": "task-eeeeeeeeeeeeeeee"})
    assert ws.drain_until_pong() == []


def test_task_complete_ack_and_record(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("complete", needed_capabilities=[cap])
    assign = ws.next_assignment()
    ws.accept(task_id)
    result = {"status": "success", "output": "done", "files": ["a"]}
    ack = ws.complete(task_id, assign["generation"], result=result, tokens_used=123)
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "complete"}
    task = hub.api.task(task_id)
    assert task["status"] == "completed"
    assert task["result"] == result
    assert task["tokens_used"] == 123
    assert task["generation"] == assign["generation"]
    assert task["history"][0]["event"] == "completed"
    assert task["history"][0]["details"] == {"tokens_used": 123}


def test_tokens_used_inside_result(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("tokens in result", needed_capabilities=[cap])
    assign = ws.next_assignment()
    result = {"status": "success", "tokens_used": 77}
    assert ws.complete(task_id, assign["generation"], result=result)["status"] == "complete"
    task = hub.api.task(task_id)
    assert task["tokens_used"] == 77
    assert task["history"][0]["details"] == {"tokens_used": 77}


def test_completion_without_tokens_used_records_null(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("no tokens", needed_capabilities=[cap])
    assign = ws.next_assignment()
    assert ws.complete(task_id, assign["generation"], result={"ok": 1})["status"] == "complete"
    task = hub.api.task(task_id)
    assert task["tokens_used"] is None
    assert task["history"][0]["details"] == {"tokens_used": None}


def test_complete_without_accept_completes(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("quirk", needed_capabilities=[cap])
    assign = ws.next_assignment()
    assert ws.complete(task_id, assign["generation"])["status"] == "complete"
    assert hub.api.task(task_id)["status"] == "completed"
    # ... and the agent's record stays `assigned` (until the acceptance timeout): no new work
    state = hub.api.agent_state(ws.agent_id or "")
    assert state and state["fsm_state"] == "assigned", state
    hub.api.submit_id("not for a busy agent", needed_capabilities=[cap])
    assert ws.drain_until_pong() == []


def test_task_complete_errors(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("errors", needed_capabilities=[cap])
    assign = ws.next_assignment()
    gen = assign["generation"]
    snapshot = hub.api.task(task_id)

    for bad in (gen + 1, gen - 1, 0, OMIT, "abc", None, str(gen), 1.5):
        reply = ws.complete(task_id, bad)
        assert reply == {"type": "error", "error": "task_complete_failed: stale_generation"}, (
            f"generation {bad!r}: {reply!r}"
        )
    assert hub.api.task(task_id) == snapshot, "rejected completions changed the task"

    unknown = "task-dddddddddddddddd"
    assert ws.complete(unknown, 1) == {"type": "error", "error": "task_complete_failed: not_found"}
    assert ws.complete(task_id, gen)["status"] == "complete"
    done = hub.api.task(task_id)
    assert ws.complete(task_id, gen) == {
        "type": "error",
        "error": "task_complete_failed: invalid_state",
    }
    assert hub.api.task(task_id) == done, "a rejected second completion changed the task"
    ws.assert_open()


def test_task_failed_with_error_and_with_reason(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("flaky", needed_capabilities=[cap], max_retries=3)
    first = ws.take()
    assert ws.fail(task_id, first["generation"], "disk full") == {
        "type": "task_ack",
        "task_id": task_id,
        "status": "retried",
    }
    second = ws.take()
    assert second["task_id"] == task_id
    assert second["generation"] == first["generation"] + 2, "retry bumps, assignment bumps"
    task = hub.api.task(task_id)
    assert task["retry_count"] == 1
    assert task["history"][1] == {
        "event": "retry",
        "timestamp": task["history"][1]["timestamp"],
        "details": "disk full",
    }
    ack = ws.fail(task_id, second["generation"], "timeout", key="reason")
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "retried"}
    third = ws.take()
    task = hub.api.task(task_id)
    assert task["retry_count"] == 2
    assert task["history"][1]["event"] == "retry" and task["history"][1]["details"] == "timeout"
    ack = ws.fail(task_id, third["generation"], "final")
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "dead_letter"}
    task = hub.api.task(task_id)
    assert task["status"] == "dead_letter"
    assert task["last_error"] == "final"
    assert task["history"][0]["event"] == "dead_letter"
    assert task["history"][0]["details"] == "final"
    assert events(task) == [
        "queued",
        "assigned",
        "retry",
        "assigned",
        "retry",
        "assigned",
        "dead_letter",
    ]
    assert [t["id"] for t in hub.api.dead_letter()].count(task_id) == 1


def test_task_failed_errors(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("fail errors", needed_capabilities=[cap])
    assign = ws.next_assignment()
    snapshot = hub.api.task(task_id)
    for bad in (assign["generation"] + 1, OMIT, "abc"):
        reply = ws.fail(task_id, bad, "nope")
        assert reply == {"type": "error", "error": "task_fail_failed: stale_generation"}, reply
    assert hub.api.task(task_id) == snapshot, "rejected failure reports changed the task"
    assert ws.fail("task-cccccccccccccccc", 1, "x") == {
        "type": "error",
        "error": "task_fail_failed: not_found",
    }
    assert ws.complete(task_id, assign["generation"])["status"] == "complete"
    assert ws.fail(task_id, assign["generation"], "late") == {
        "type": "error",
        "error": "task_fail_failed: invalid_state",
    }
    assert hub.api.task(task_id)["status"] == "completed"


def test_task_recovering(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("recover", needed_capabilities=[cap])
    assign = ws.next_assignment()
    ws.send_json({"type": "task_recovering", "task_id": task_id})
    assert ws.recv_json() == {
        "type": "task_continue",
        "task_id": task_id,
        "generation": assign["generation"],
    }
    assert ws.complete(task_id, assign["generation"])["status"] == "complete"
    for gone in (task_id, "task-bbbbbbbbbbbbbbbb"):
        ws.send_json({"type": "task_recovering", "task_id": gone})
        assert ws.recv_json() == {"type": "task_reassign", "task_id": gone}


def test_max_retries_one_dead_letters_at_first_failure(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("once", needed_capabilities=[cap], max_retries=1)
    assign = ws.take()
    ack = ws.fail(task_id, assign["generation"], "only chance")
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "dead_letter"}
    task = hub.api.task(task_id)
    assert task["status"] == "dead_letter" and task["last_error"] == "only chance"
    assert ws.drain_until_pong() == [], "a dead-letter task must not be assigned again"


def test_task_accepted_refreshes_updated_at(hub: HubSession) -> None:
    ws, task_id, before = assigned_a_while_ago(hub, "accept refresh")
    assert ws.accept(task_id)["status"] == "accepted"
    hub.api.wait_task(task_id, lambda t: t["updated_at"] > before, what="updated_at refreshed")


def test_history_is_capped_at_50_newest_first(hub: HubSession) -> None:
    ws, cap = capable(hub)
    task_id = hub.api.submit_id("many retries", needed_capabilities=[cap], max_retries=100)
    for n in range(30):  # each round adds `assigned` and `retry`
        assign = ws.take()
        assert ws.fail(task_id, assign["generation"], f"fail {n}")["status"] == "retried"
    task = hub.api.task(task_id)
    assert len(task["history"]) == 50, f"history has {len(task['history'])} entries"
    assert task["history"][0]["event"] == "assigned"
    assert task["history"][1] == {
        "event": "retry",
        "timestamp": task["history"][1]["timestamp"],
        "details": "fail 29",
    }
    assert task["retry_count"] == 30 and task["generation"] == 61
    stamps = [h["timestamp"] for h in task["history"]]
    assert stamps == sorted(stamps, reverse=True)
    assert "queued" not in events(task), "the oldest entries should have been dropped"


def test_presence_is_pushed_to_the_other_agents(hub: HubSession) -> None:
    """agent_joined (the newcomer's record) and agent_left go to the other agents only."""
    watcher = hub.agent("watcher")
    newcomer = hub.agent("newcomer")
    newcomer_id = newcomer.label
    joined = wait_for(
        lambda: [m for m in (watcher.ping(), watcher.seen)[1] if m["type"] == "agent_joined"],
        what="agent_joined",
    )
    assert joined[0]["agent"]["agent_id"] == newcomer_id
    assert set(joined[0]["agent"]) == {"agent_id", "name", "status", "capabilities", "connected_at"}
    newcomer.ping()
    assert not [m for m in newcomer.seen if m["type"] == "agent_joined"], "no echo of its own join"
    newcomer.close()
    left = wait_for(
        lambda: [m for m in (watcher.ping(), watcher.seen)[1] if m["type"] == "agent_left"],
        what="agent_left",
    )
    assert left[0] == {"type": "agent_left", "agent_id": newcomer_id}
