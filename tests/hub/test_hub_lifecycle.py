"""Generation fencing, reclaim, timers (acceptance, stuck, overdue, liveness), reconnects."""

from __future__ import annotations

import time

import pytest
from hubapi import events, hold_for, wait_for
from hubsession import HubSession, StartHub, uid
from hubwsclient import ConnectionClosed, WsClient


def reclaims(task: dict) -> list:
    """Details of every `reclaimed` history event, oldest first."""
    return [h["details"] for h in reversed(task["history"]) if h["event"] == "reclaimed"]


def end(ws: WsClient, mode: str) -> None:
    if mode == "reset":
        ws.reset()
    else:
        ws.close()


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_disconnect_reclaims_and_reassigns_with_new_generation(hub: HubSession, mode: str) -> None:
    cap = f"cap-{uid()}"
    victim = hub.agent("victim", [cap])
    task_id = hub.api.submit_id(f"reclaim on {mode}", needed_capabilities=[cap])
    first = victim.next_assignment()
    assert first["generation"] == 1
    assert victim.accept(task_id)["status"] == "accepted"
    rescuer = hub.agent("rescuer", [cap])
    assert rescuer.drain_until_pong() == [], "rescuer got work while the victim held the task"

    end(victim, mode)
    second = rescuer.next_assignment()
    assert second["task_id"] == task_id
    assert second["generation"] == 3, "reclaim bumps (2), the new assignment bumps again (3)"
    task = hub.api.task(task_id)
    assert task["assigned_to"] == rescuer.agent_id and task["generation"] == 3
    assert events(task) == ["queued", "assigned", "reclaimed", "assigned"]
    assert task["history"][1]["details"] == "agent_disconnect"
    assert task["history"][0]["details"] == {"agent_id": rescuer.agent_id, "generation": 3}

    # the victim comes back; its old generation is stale now, and changes nothing
    back = hub.client("victim-again")
    back.identify(victim.agent_id, victim.token or "", [cap])
    before = hub.api.task(task_id)
    assert back.complete(task_id, 1) == {
        "type": "error",
        "error": "task_complete_failed: stale_generation",
    }
    assert back.fail(task_id, 1, "late") == {
        "type": "error",
        "error": "task_fail_failed: stale_generation",
    }
    assert hub.api.task(task_id) == before
    assert rescuer.complete(task_id, 3)["status"] == "complete"
    done = hub.api.task(task_id)
    assert done["status"] == "completed" and events(done).count("completed") == 1


def test_disconnect_of_idle_agent_changes_no_task(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    agent = hub.agent("idle", [cap])
    queued = hub.api.submit_id("unreachable", needed_capabilities=[f"{cap}-other"])
    agent.reset()
    wait_for(
        lambda: hub.api.agent_state(agent.agent_id or "") is None,
        what="reset agent removed from agent states",
    )
    task = hub.api.task(queued)
    assert task["status"] == "queued" and task["generation"] == 0


def test_acceptance_timeout_reclaims_and_flags(start_hub: StartHub) -> None:
    hub = start_hub(options=["--acceptance-timeout", "500ms"])
    cap = f"cap-{uid()}"
    silent = hub.agent("silent", [cap])
    task_id = hub.api.submit_id("never accepted", needed_capabilities=[cap])
    first = silent.next_assignment()
    assert first["task_id"] == task_id and first["generation"] == 1
    worker = hub.auto_agent("worker", [cap])
    task = hub.api.wait_status(task_id, "completed")
    assert task["assigned_to"] == worker.agent_id, "the waiting agent should get the task"
    assert "reclaimed" in events(task)
    assert reclaims(task)[0] == "agent_disconnect"
    assert task["generation"] >= 3
    state = hub.api.wait_agent_state(
        silent.agent_id or "",
        lambda s: bool(s) and "unresponsive" in s["flags"],
        what="flagged unresponsive",
    )
    assert state and state["fsm_state"] == "idle", f"silent agent should be idle: {state}"
    # the silent agent's late completion is stale
    assert silent.complete(task_id, 1)["error"] == "task_complete_failed: invalid_state"


def test_accepted_task_is_not_taken_by_acceptance_timeout(start_hub: StartHub) -> None:
    hub = start_hub(options=["--acceptance-timeout", "1s"])
    agent, task_id, _, assign = hub.holding("prompt", "accepted in time")  # accepted at once
    hold_for(
        lambda: hub.api.task(task_id)["generation"] == 1,
        duration=2.0,
        what="an accepted task to stay with its agent past the acceptance timeout",
        describe=lambda: repr(hub.api.task(task_id)["history"]),
    )
    assert agent.complete(task_id, assign["generation"])["status"] == "complete"
    state = hub.api.agent_state(agent.agent_id or "")
    assert state and "unresponsive" not in state["flags"]


@pytest.mark.slow
def test_stuck_sweep_reclaims_silent_task_but_not_one_with_progress(start_hub: StartHub) -> None:
    hub = start_hub(options=["--stuck-sweep-interval", "200ms", "--stuck-threshold", "1s"])
    cap_a, cap_b = f"cap-{uid()}", f"cap-{uid()}"
    quiet = hub.agent("quiet", [cap_a])
    busy = hub.agent("busy", [cap_b])
    stuck_id = hub.api.submit_id("stuck", needed_capabilities=[cap_a])
    alive_id = hub.api.submit_id("alive", needed_capabilities=[cap_b])
    quiet_assign = quiet.next_assignment()
    busy_assign = busy.next_assignment()
    quiet.accept(stuck_id)
    busy.accept(alive_id)

    def reclaimed() -> bool:
        busy.send_json({"type": "task_progress", "task_id": alive_id})
        return "reclaimed" in events(hub.api.task(stuck_id))

    wait_for(reclaimed, timeout=20, what=f"stuck task {stuck_id} reclaimed by the sweep")
    task = hub.api.task(stuck_id)
    assert reclaims(task)[0] == "agent_disconnect"
    assert task["generation"] > quiet_assign["generation"]
    oldest_first = list(reversed(task["history"]))
    assigned_at = next(h["timestamp"] for h in oldest_first if h["event"] == "assigned")
    reclaimed_at = next(h["timestamp"] for h in oldest_first if h["event"] == "reclaimed")
    assert reclaimed_at - assigned_at >= 950, "reclaimed before the stuck threshold"

    def keep_alive() -> bool:
        busy.send_json({"type": "task_progress", "task_id": alive_id})
        return hub.api.task(alive_id)["generation"] == busy_assign["generation"]

    hold_for(
        keep_alive,
        duration=2.5,
        what="a task with regular task_progress to stay assigned",
        describe=lambda: repr(hub.api.task(alive_id)["history"]),
    )
    assert busy.complete(alive_id, busy_assign["generation"])["status"] == "complete"


def test_overdue_sweep_reclaims_with_overdue(start_hub: StartHub) -> None:
    hub = start_hub(options=["--overdue-sweep-interval", "200ms"])
    cap_late, cap_ok = f"cap-{uid()}", f"cap-{uid()}"
    late_agent = hub.agent("late", [cap_late])
    ok_agent = hub.agent("ok", [cap_ok])
    now = int(time.time() * 1000)
    late_id = hub.api.submit_id("late", complete_by=now - 1000, needed_capabilities=[cap_late])
    ok_id = hub.api.submit_id("ok", complete_by=now + 3_600_000, needed_capabilities=[cap_ok])
    late_agent.next_assignment()
    ok_assign = ok_agent.next_assignment()
    late_agent.accept(late_id)
    ok_agent.accept(ok_id)
    task = hub.api.wait_task(
        late_id, lambda t: "overdue" in reclaims(t), what="reclaimed with details 'overdue'"
    )
    assert task["generation"] >= 2
    hold_for(
        lambda: hub.api.task(ok_id)["generation"] == ok_assign["generation"],
        duration=0.6,
        what="a task due in an hour to stay assigned",
        describe=lambda: repr(hub.api.task(ok_id)["history"]),
    )
    assert "reclaimed" not in events(hub.api.task(ok_id))


@pytest.mark.slow
def test_idle_timeout_closes_silent_connection_and_reclaims(start_hub: StartHub) -> None:
    hub = start_hub(options=["--idle-timeout", "1s"])
    pinger = hub.auto_agent("pinger", [f"cap-{uid()}"], ping_interval=0.25)
    silent, task_id, *_ = hub.holding("silent", "held by a silent agent")
    started = time.monotonic()
    code = silent.wait_closed_by_server(timeout=20)
    assert time.monotonic() - started >= 0.8, "closed before the idle timeout"
    assert code == 1002, f"idle timeout: the contract says close code 1002, got {code}"
    task = hub.api.wait_task(task_id, lambda t: "reclaimed" in events(t), what="reclaimed")
    assert reclaims(task)[0] == "agent_disconnect"
    # an agent that sends frames is not closed
    hold_for(
        lambda: pinger.broken is None,
        duration=2.0,
        what="a pinging agent to stay connected",
        describe=lambda: f"pinger: {pinger.broken}",
    )


@pytest.mark.slow
def test_ping_timeout_evicts_agent_that_never_pings(start_hub: StartHub) -> None:
    hub = start_hub(options=["--ping-timeout", "1s"])
    pinger = hub.auto_agent("pinger", [f"cap-{uid()}"], ping_interval=0.25)
    chatty, task_id, *_ = hub.holding("chatty", "held without pings")
    # frames other than ping keep the socket busy but do not count as liveness
    deadline = time.monotonic() + 20
    evicted = False
    while time.monotonic() < deadline and not evicted:
        try:
            chatty.send_json({"type": "task_progress", "task_id": task_id})
            chatty.recv_json(timeout=0.2)
        except AssertionError as exc:
            evicted = isinstance(exc, ConnectionClosed)
        except Exception:  # the send itself failed: the socket is gone
            evicted = True
    assert evicted, "an agent that never pings was not evicted within 20s"
    task = hub.api.wait_task(task_id, lambda t: "reclaimed" in events(t), what="reclaimed")
    assert reclaims(task)[0] == "agent_disconnect"
    wait_for(
        lambda: hub.api.agent_state(chatty.agent_id or "") is None,
        what="evicted agent gone from agent states",
    )
    hold_for(
        lambda: pinger.broken is None,
        duration=2.0,
        what="a pinging agent to stay connected",
        describe=lambda: f"pinger: {pinger.broken}",
    )


def test_second_identify_replaces_the_first(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    old = hub.agent("twice", [cap])
    agent_id, token = old.agent_id or "", old.token or ""
    new = hub.client("twice-new")
    new.identify(agent_id, token, [cap, "second"])
    listed = [a for a in hub.api.agents() if a["agent_id"] == agent_id]
    assert len(listed) == 1, f"{agent_id} listed {len(listed)} times after a second identify"
    assert listed[0]["capabilities"] == [cap, "second"], "state record not replaced"
    state = hub.api.agent_state(agent_id)
    assert state and state["capabilities"] == [{"name": cap}, {"name": "second"}]

    task_id = hub.api.submit_id("to the new connection", needed_capabilities=["second"])
    assign = new.next_assignment()
    assert assign["task_id"] == task_id
    try:
        stray = old.drain_until_pong()
        assert all(m["type"] != "task_assign" for m in stray), f"old connection got {stray}"
        old_closed_by_hub = False
    except ConnectionClosed:
        old_closed_by_hub = True  # also fine: the hub dropped the replaced connection
    # the old connection ending must not take the agent or its task away
    old.close()
    new.assert_open()
    assert new.accept(task_id)["status"] == "accepted"
    task = hub.api.task(task_id)
    assert task["status"] == "assigned" and task["generation"] == assign["generation"], (
        f"closing the replaced connection (closed by hub: {old_closed_by_hub}) touched the "
        f"new connection's task: {task['history']}"
    )
    assert any(a["agent_id"] == agent_id for a in hub.api.agents())
    assert new.complete(task_id, assign["generation"])["status"] == "complete"


def test_second_identify_while_holding_a_task_orphans_nothing(hub: HubSession) -> None:
    """Reading: the replaced record's task must not be stranded; the new connection can
    recover it (task_continue) or is handed it again (task_assign)."""
    cap = f"cap-{uid()}"
    old = hub.agent("holder", [cap])
    task_id = hub.api.submit_id("held across a re-identify", needed_capabilities=[cap])
    old.take()
    new = hub.client("holder-new")
    new.identify(old.agent_id or "", old.token or "", [cap])
    new.send_json({"type": "task_recovering", "task_id": task_id})
    reply = new.recv_json(types=("task_continue", "task_reassign"))
    if reply["type"] == "task_continue":
        generation = reply["generation"]
    else:
        assign = new.next_assignment()
        assert assign["task_id"] == task_id
        generation = assign["generation"]
    assert new.complete(task_id, generation)["status"] == "complete"
    task = hub.api.task(task_id)
    assert task["status"] == "completed" and events(task).count("completed") == 1
