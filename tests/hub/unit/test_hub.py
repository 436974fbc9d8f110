"""Hub composition with fake connections and timers: triggers, reclaim, faults."""

from __future__ import annotations

import pytest
from agentcom_hub.faults import Fault
from agentcom_hub.http_api import caller
from aiohttp.test_utils import make_mocked_request


def accept_and_complete(kit, conn, assign: dict) -> None:
    kit.hub.accepted(conn, {"type": "task_accepted", "task_id": assign["task_id"]})
    kit.hub.completed(
        conn,
        {"type": "task_complete", "task_id": assign["task_id"], "generation": assign["generation"]},
    )


def test_identify_errors(kit, fake_conn):
    k = kit()
    token = k.hub.tokens.create("a1")
    conn = fake_conn()
    k.hub.identify(conn, {"agent_id": "a1", "token": "nope"})
    k.hub.identify(conn, {"agent_id": "a2", "token": token})
    k.hub.identify(conn, {"agent_id": "a1"})
    assert [m["error"] for m in conn.sent] == [
        "invalid_token",
        "token_agent_mismatch",
        "invalid_token",
    ]
    assert conn.agent_id is None and len(k.hub.connections) == 0


def test_submit_assigns_and_completion_hands_out_the_next_task(kit):
    k = kit()
    conn = k.connect("a1")
    first, second = k.submit("one"), k.submit("two")
    assign = conn.of_type("task_assign")[0]
    assert assign["task_id"] == first and assign["generation"] == 1
    assert set(assign) == {
        "type",
        "task_id",
        "description",
        "metadata",
        "generation",
        "assigned_at",
    }
    accept_and_complete(k, conn, assign)
    acks = conn.of_type("task_ack")
    assert [a["status"] for a in acks] == ["accepted", "complete"]
    nxt = conn.of_type("task_assign")[1]
    assert nxt["task_id"] == second
    assert conn.sent.index(acks[1]) < conn.sent.index(nxt)  # ack before the next task


def test_no_idle_scheduling_stalls_the_queue_until_another_trigger(kit):
    k = kit(Fault.NO_IDLE_SCHEDULING)
    conn = k.connect("a1")
    tasks = [k.submit(f"t{i}") for i in range(3)]
    accept_and_complete(k, conn, conn.of_type("task_assign")[0])
    assert len(conn.of_type("task_assign")) == 1
    assert k.hub.agents.get("a1").fsm_state == "idle"
    assert k.task(tasks[1])["status"] == "queued"
    k.submit("trigger")  # a task event still schedules
    assert conn.of_type("task_assign")[1]["task_id"] == tasks[1]


def test_failure_retries_to_another_agent_then_dead_letters(kit):
    k = kit()
    a, b = k.connect("a"), k.connect("b")
    task_id = k.submit("x", max_retries=2)
    assign = a.of_type("task_assign")[0]
    k.hub.accepted(a, {"task_id": task_id})
    k.hub.failed(a, {"task_id": task_id, "generation": 1, "reason": "boom"})
    assert a.of_type("task_ack")[-1]["status"] == "retried"
    assign_b = b.of_type("task_assign")[0]
    assert assign_b["generation"] == assign["generation"] + 2  # retry +1, assignment +1
    k.hub.accepted(b, {"task_id": task_id})
    k.hub.failed(b, {"task_id": task_id, "generation": 3, "error": "again"})
    assert b.of_type("task_ack")[-1]["status"] == "dead_letter"
    task = k.task(task_id)
    assert task["status"] == "dead_letter" and task["last_error"] == "again"
    k.hub.failed(b, {"task_id": task_id, "generation": 3, "error": "late"})
    assert b.last() == {"type": "error", "error": "task_fail_failed: invalid_state"}
    k.hub.retry_dead_letter(task_id)
    assert a.of_type("task_assign")[-1]["task_id"] == task_id


def test_stale_completion_is_rejected(kit):
    k = kit()
    conn = k.connect("a1")
    task_id = k.submit()
    k.hub.completed(conn, {"task_id": task_id})
    k.hub.completed(conn, {"task_id": task_id, "generation": "abc"})
    assert (
        conn.sent[-2:] == [{"type": "error", "error": "task_complete_failed: stale_generation"}] * 2
    )
    assert k.task(task_id)["status"] == "assigned"


def test_disconnect_reclaims_and_reschedules(kit):
    k = kit()
    a, b = k.connect("a"), k.connect("b")
    task_id = k.submit()
    assert a.of_type("task_assign")
    k.hub.closed(a)
    task = k.task(task_id)
    assert [h["event"] for h in task["history"][:2]] == ["assigned", "reclaimed"]
    assert task["history"][1]["details"] == "agent_disconnect"
    assert task["assigned_to"] == "b" and task["generation"] == 3
    assert b.of_type("task_assign")[0]["generation"] == 3
    assert "a" not in k.hub.connections and k.hub.agents.get("a") is None


def test_no_reclaim_on_disconnect_leaves_task_with_gone_agent(kit):
    k = kit(Fault.NO_RECLAIM_ON_DISCONNECT)
    a = k.connect("a")
    task_id = k.submit()
    k.hub.closed(a)
    assert k.task(task_id)["status"] == "assigned" and k.task(task_id)["assigned_to"] == "a"


def test_second_identify_replaces_the_old_connection(kit):
    k = kit()
    old = k.connect("a")
    task_id = k.submit()
    new = k.connect("a")
    assert old.closed is not None and old.agent_id is None
    assert new.of_type("task_assign")[0]["task_id"] == task_id
    assert k.task(task_id)["generation"] == 3
    k.hub.closed(old)  # the old socket's handler finishing must not touch the new record
    assert k.hub.connections["a"] is new and k.task(task_id)["status"] == "assigned"


def test_acceptance_timeout_flags_and_reclaims(kit):
    k = kit()
    conn = k.connect("a")
    task_id = k.submit()
    k.timers.fire_all()
    record = k.hub.agents.get("a")
    assert "unresponsive" in record.flags
    task = k.task(task_id)
    assert task["history"][1]["event"] == "reclaimed"
    # the now-idle agent may be handed the very same task again
    assert task["status"] == "assigned" and task["generation"] == 3
    assert conn.of_type("task_assign")[-1]["generation"] == 3


def test_accepting_cancels_the_acceptance_timer(kit):
    k = kit()
    conn = k.connect("a")
    task_id = k.submit()
    k.hub.accepted(conn, {"task_id": task_id})
    k.timers.fire_all()
    assert k.hub.agents.get("a").flags == [] and k.task(task_id)["generation"] == 1


def test_completion_without_acceptance_keeps_agent_assigned_until_timeout(kit):
    k = kit()
    conn = k.connect("a")
    first, second = k.submit(), k.submit()
    k.hub.completed(conn, {"task_id": first, "generation": 1})
    assert conn.of_type("task_ack")[-1]["status"] == "complete"
    assert k.hub.agents.get("a").fsm_state == "assigned"
    assert len(conn.of_type("task_assign")) == 1
    k.timers.fire_all()
    assert k.task(first)["status"] == "completed"
    assert k.hub.agents.get("a").flags == ["unresponsive"]
    assert conn.of_type("task_assign")[-1]["task_id"] == second


def test_task_accepted_is_acked_even_for_unknown_task(kit):
    k = kit()
    conn = k.connect("a")
    k.hub.accepted(conn, {"task_id": "task-unknown"})
    assert conn.last() == {"type": "task_ack", "task_id": "task-unknown", "status": "accepted"}


def test_recovering(kit):
    k = kit()
    conn = k.connect("a")
    task_id = k.submit()
    k.hub.recovering(conn, {"task_id": task_id})
    assert conn.last() == {"type": "task_continue", "task_id": task_id, "generation": 1}
    k.hub.recovering(conn, {"task_id": "task-x"})
    assert conn.last() == {"type": "task_reassign", "task_id": "task-x"}


def test_lose_assignment_drops_every_fifth_frame(kit):
    k = kit(Fault.LOSE_ASSIGNMENT)
    conns = [k.connect(f"a{i}") for i in range(6)]
    ids = [k.submit(f"t{i}") for i in range(6)]
    sent = [m["task_id"] for c in conns for m in c.of_type("task_assign")]
    assert len(sent) == 5 and set(ids) - set(sent) == {ids[4]}
    assert k.task(ids[4])["status"] == "assigned"


@pytest.mark.parametrize(
    ("faults", "expected"),
    [((), ["a", "b", "c", "a"]), ((Fault.UNFAIR_AGENT_CHOICE,), ["a", "a", "a", "a"])],
)
def test_fair_and_unfair_agent_choice(kit, faults, expected):
    k = kit(*faults)
    conns = {n: k.connect(n) for n in ("a", "b", "c")}
    winners = []
    for i in range(4):
        k.submit(f"t{i}")
        holder = next(
            c
            for c in conns.values()
            if c.of_type("task_assign") and k.hub.agents.get(c.agent_id).fsm_state == "assigned"
        )
        winners.append(holder.agent_id)
        accept_and_complete(k, holder, holder.of_type("task_assign")[-1])
    assert winners == expected


@pytest.mark.parametrize(
    ("faults", "expected"), [((), ["urgent", "low"]), ((Fault.IGNORE_PRIORITY,), ["low", "urgent"])]
)
def test_priority_order_and_ignore_priority(kit, faults, expected):
    k = kit(*faults)
    k.submit("low", priority=3)
    k.submit("urgent", priority=0)
    conn = k.connect("a")
    got = [conn.of_type("task_assign")[0]["description"]]
    accept_and_complete(k, conn, conn.of_type("task_assign")[0])
    got.append(conn.of_type("task_assign")[1]["description"])
    assert got == expected


def test_restart_reclaims_assigned_tasks(kit):
    k = kit()
    k.connect("a")
    queued_low = k.submit("waiting", priority=3, needed_capabilities=["none-has-it"])
    task_id = k.submit("in flight")
    k.hub.close()
    k2 = kit()
    task = k2.task(task_id)
    assert task["status"] == "queued" and task["generation"] == 2
    assert task["history"][0]["event"] == "reclaimed"
    assert task["history"][0]["details"] == "agent_disconnect"
    assert k2.task(queued_low)["status"] == "queued"
    assert k2.hub.bootstrap_token == k.hub.bootstrap_token
    conn = k2.connect("b")
    assert conn.of_type("task_assign")[0]["task_id"] == task_id


def test_volatile_store_forgets_everything(kit):
    k = kit(Fault.VOLATILE_STORE)
    task_id = k.submit()
    token = k.hub.bootstrap_token
    k.hub.close()
    k2 = kit(Fault.VOLATILE_STORE)
    assert k2.hub.tasks.get(task_id) is None
    assert k2.hub.bootstrap_token == token


def test_ping_timeout_evicts_and_reclaims(kit):
    k = kit(ping_timeout=0.0)
    conn = k.connect("a")
    task_id = k.submit()
    k.hub.sweep_pings()
    assert conn.closed is not None and conn.closed[0] == 1008
    assert k.hub.agents.get("a") is None and k.task(task_id)["status"] == "queued"


def test_ping_refreshes_liveness(kit):
    k = kit(ping_timeout=3600.0)
    conn = k.connect("a")
    k.hub.ping(conn)
    assert conn.last()["type"] == "pong" and isinstance(conn.last()["timestamp"], int)
    k.hub.sweep_pings()
    assert conn.closed is None


def test_sweeps_reclaim_overdue_and_stuck(kit):
    k = kit(stuck_threshold=0.0)
    a = k.connect("a")
    task_id = k.submit(complete_by=1)
    k.hub.accepted(a, {"task_id": task_id})
    k.hub.sweep_overdue()
    task = k.task(task_id)
    assert task["history"][1]["details"] == "overdue"
    k.hub.tasks.get(task_id).updated_at -= 10
    k.hub.sweep_stuck()
    assert any(h["details"] == "agent_disconnect" for h in k.task(task_id)["history"])


@pytest.mark.parametrize(("faults", "expected"), [((), None), ((Fault.NO_AUTH,), "unknown")])
def test_no_auth_fault_lets_anyone_in(kit, faults, expected):
    k = kit(*faults)
    for headers in ({"Authorization": "Bearer x"}, {}):
        request = make_mocked_request("GET", "/api/tasks", headers=headers)
        request.app["hub"] = k.hub  # type: ignore[index]
        assert caller(request) == expected
    good = make_mocked_request(
        "GET", "/", headers={"Authorization": f"Bearer {k.hub.bootstrap_token}"}
    )
    good.app["hub"] = k.hub  # type: ignore[index]
    assert caller(good) == "smoke-admin"
