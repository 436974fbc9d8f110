"""Each `--fault NAME` switches on exactly the defect it names.

Every test here shows the defect with the fault on; the same scenario without the fault
passes in the normal test modules (named in each docstring).
"""

from __future__ import annotations

from collections import Counter

import pytest
from hubapi import events, hold_for, wait_for
from hubproc import run_hub_cli
from hubsession import StartHub, uid

ALL_FAULTS = [
    "no-idle-scheduling",
    "no-reclaim-on-disconnect",
    "no-generation-fencing",
    "ignore-priority",
    "unfair-agent-choice",
    "volatile-store",
    "no-auth",
    "lose-assignment",
    "no-liveness-eviction",
    "double-assign",
    "stale-ack",
    "assign-disconnected",
    "ignore-capabilities",
    "history-misorder",
    "no-presence",
    "no-fail-fencing",
    "accept-keeps-timer",
    "flat-high-normal",
    "head-of-line-blocking",
    "progress-ignored",
    "no-stuck-sweep",
    "no-overdue-sweep",
    "filter-ignores-assigned-to",
    "stats-count-dead-letter",
    "revoke-one-token",
    "unknown-priority-low",
    "recover-always-continue",
    "result-tokens-ignored",
    "ping-not-counted",
    "no-working-state",
    "agents-list-race",
]


def test_list_faults_names_them_all() -> None:
    out = run_hub_cli("--list-faults")
    assert out.returncode == 0, out.stderr
    listed = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    assert sorted(listed) == sorted(ALL_FAULTS), out.stdout


def test_unknown_fault_is_refused() -> None:
    out = run_hub_cli("--fault", "no-such-fault", "--port", "0")
    assert out.returncode != 0
    assert "no-such-fault" in out.stderr


def test_fault_no_idle_scheduling_stalls_queue(start_hub: StartHub) -> None:
    """Normal: test_tasks_queued_while_busy_go_to_the_agent_when_it_becomes_idle."""
    hub = start_hub(faults=["no-idle-scheduling"])
    cap = f"cap-{uid()}"
    agent = hub.agent("worker", [cap])
    first = hub.api.submit_id("first", needed_capabilities=[cap])
    assign = agent.take()  # submit still triggers scheduling
    second = hub.api.submit_id("second", needed_capabilities=[cap])
    assert agent.complete(first, assign["generation"])["status"] == "complete"
    assert agent.drain_until_pong() == []
    hold_for(
        lambda: hub.api.task(second)["status"] == "queued",
        duration=1.0,
        what="the queued task to stay queued while its agent is idle (the fault)",
        describe=lambda: repr(hub.api.task(second)),
    )
    state = hub.api.agent_state(agent.agent_id or "")
    assert state and state["fsm_state"] == "idle"
    # another trigger (a new submission) still schedules: the older task goes first
    hub.api.submit_id("third", needed_capabilities=[cap])
    assert agent.take()["task_id"] == second


def test_fault_no_reclaim_on_disconnect(start_hub: StartHub) -> None:
    """Normal: test_disconnect_reclaims_and_reassigns_with_new_generation."""
    hub = start_hub(faults=["no-reclaim-on-disconnect"])
    victim, task_id, cap, _ = hub.holding("victim", "orphan")
    rescuer = hub.agent("rescuer", [cap])
    victim.reset()
    wait_for(
        lambda: hub.api.agent_state(victim.agent_id or "") is None,
        what="the reset agent gone from agent states",
    )
    hold_for(
        lambda: hub.api.task(task_id)["assigned_to"] == victim.agent_id,
        duration=1.0,
        what="the task to stay assigned to the gone agent (the fault)",
        describe=lambda: repr(hub.api.task(task_id)),
    )
    task = hub.api.task(task_id)
    assert task["generation"] == 1 and "reclaimed" not in events(task)
    assert rescuer.drain_until_pong() == []


def test_fault_no_generation_fencing(start_hub: StartHub) -> None:
    """Normal: test_task_complete_errors (stale_generation)."""
    hub = start_hub(faults=["no-generation-fencing"])
    agent, task_id, _, assign = hub.holding("sloppy", "unfenced")
    ack = agent.complete(task_id, assign["generation"] + 7)
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "complete"}
    assert hub.api.task(task_id)["status"] == "completed"


def test_fault_ignore_priority(start_hub: StartHub) -> None:
    """Normal: test_priority_then_age."""
    hub = start_hub(faults=["ignore-priority"])
    cap = f"cap-{uid()}"
    order = ["low", "low", "urgent", "normal", "urgent"]
    ids = [hub.api.submit_id(f"p {p}", priority=p, needed_capabilities=[cap]) for p in order]
    agent = hub.agent("fifo", [cap])
    seen = []
    for _ in ids:
        assign = agent.take()
        seen.append(assign["task_id"])
        agent.complete(assign["task_id"], assign["generation"])
    assert seen == ids, "with ignore-priority the order should be oldest first"


def test_fault_unfair_agent_choice(start_hub: StartHub) -> None:
    """Normal: test_idle_longest_agent_gets_the_task."""
    hub = start_hub(faults=["unfair-agent-choice"])
    cap = f"cap-{uid()}"
    agents = [hub.agent(f"a{n}", [cap]) for n in range(3)]
    owners = hub.owners_of_tasks(agents, cap, 6, "unfair")
    assert Counter(owners) == Counter({agents[0].agent_id: 6}), owners


def test_fault_volatile_store(start_hub: StartHub) -> None:
    """Normal: test_tokens_and_dead_letter_survive_restart."""
    hub = start_hub(faults=["volatile-store"])
    bootstrap = hub.token
    agent_id = f"bb-vol-{uid()}"
    token = hub.api.create_token(agent_id)
    task_id = hub.api.submit_id("forgotten", needed_capabilities=[f"cap-{uid()}"])
    hub.proc.restart("kill")
    hub.refresh()
    assert hub.token == bootstrap, "the fault keeps the bootstrap token"
    resp = hub.api.get(f"/api/tasks/{task_id}")
    assert resp.status_code == 404, "with volatile-store the task should be gone"
    assert hub.api.get("/api/tasks/stats", token=token).status_code == 401


def test_fault_no_auth(start_hub: StartHub) -> None:
    """Normal: test_protected_route_without_valid_token_is_401."""
    hub = start_hub(faults=["no-auth"])
    for token in (None, "0" * 64):
        assert hub.api.get("/api/tasks/stats", token=token).status_code == 200
        resp = hub.api.post("/api/tasks", token=token, json={"description": "anon"})
        assert resp.status_code == 201, resp.text
    assert hub.api.get("/health", token=None).status_code == 200


def test_fault_lose_assignment(start_hub: StartHub) -> None:
    """Normal: every other test that waits for a task_assign."""
    hub = start_hub(faults=["lose-assignment"])
    cap = f"cap-{uid()}"
    ids = [hub.api.submit_id(f"lossy {n}", needed_capabilities=[cap]) for n in range(6)]
    agent = hub.agent("lossy", [cap])
    received = []
    for _ in range(4):
        assign = agent.take()
        received.append(assign["task_id"])
        assert agent.complete(assign["task_id"], assign["generation"])["status"] == "complete"
    lost = wait_for(
        lambda: next(
            (
                t
                for t in (hub.api.task(i) for i in ids)
                if t["status"] == "assigned" and t["id"] not in received
            ),
            None,
        ),
        what="a task assigned to the agent that never reached it",
    )
    assert lost["assigned_to"] == agent.agent_id
    stray = agent.drain_until_pong()
    assert all(m.get("task_id") != lost["id"] for m in stray), "the lost task_assign arrived"
    assert received == ids[:4]


def test_fault_double_assign(start_hub: StartHub) -> None:
    """Normal: test_one_task_per_agent (scheduler unit tests) and TEST-03c."""
    hub = start_hub(faults=["double-assign"])
    cap = f"cap-{uid()}"
    ids = [hub.api.submit_id(f"queued {n}", needed_capabilities=[cap]) for n in range(3)]
    agent = hub.agent("busy", [cap])  # joins: one pass with three queued tasks
    first, second = agent.take(), agent.take()
    assert [first["task_id"], second["task_id"]] == ids[:2], "two tasks in one pass"
    tasks = [hub.api.task(i) for i in ids[:2]]
    assert all(t["assigned_to"] == agent.agent_id for t in tasks)
    assert hub.api.task(ids[2])["status"] == "queued"


def test_fault_stale_ack(start_hub: StartHub) -> None:
    """Normal: test_task_complete_errors (stale_generation)."""
    hub = start_hub(faults=["stale-ack"])
    agent, task_id, _, assign = hub.holding("late", "stale")
    ack = agent.complete(task_id, assign["generation"] + 3)
    assert ack == {"type": "task_ack", "task_id": task_id, "status": "complete"}
    task = hub.api.task(task_id)
    assert task["status"] == "assigned" and "completed" not in events(task)


def test_fault_assign_disconnected(start_hub: StartHub) -> None:
    """Normal: test_disconnect_reclaims_and_reassigns_with_new_generation."""
    hub = start_hub(faults=["assign-disconnected"])
    victim, task_id, cap, _ = hub.holding("victim", "ghost")
    victim.accept(task_id)
    survivor = hub.agent("survivor", [cap])
    victim.reset()
    task = hub.api.wait_task(
        task_id, lambda t: t["assigned_to"] == survivor.agent_id, what="assigned to survivor"
    )
    assigned = [
        h["details"]["agent_id"] for h in reversed(task["history"]) if h["event"] == "assigned"
    ]
    assert assigned == [victim.agent_id, victim.agent_id, survivor.agent_id], task["history"]
    assert survivor.take()["generation"] == 5


def test_fault_ignore_capabilities(start_hub: StartHub) -> None:
    """Normal: test_capabilities_subset (scheduler) and TEST-03f."""
    hub = start_hub(faults=["ignore-capabilities"])
    agent = hub.agent("unskilled", [])
    task_id = hub.api.submit_id("needs gpu", needed_capabilities=[f"gpu-{uid()}"])
    assert agent.take()["task_id"] == task_id


def test_fault_history_misorder(start_hub: StartHub) -> None:
    """Normal: test_history_newest_first."""
    hub = start_hub(faults=["history-misorder"])
    cap = f"cap-{uid()}"
    agent = hub.agent("writer", [cap])
    task_id = hub.api.submit_id("misordered", needed_capabilities=[cap])
    assign = agent.take()
    assert agent.complete(task_id, assign["generation"])["status"] == "complete"
    raw = [h["event"] for h in hub.api.task(task_id)["history"]]
    assert raw == ["queued", "assigned", "completed"], "oldest first on the wire"


def presence_seen(watcher: object, kind: str) -> list[dict]:
    """The presence messages of ``kind`` the watcher got so far (a ping drains the socket)."""
    watcher.ping()  # type: ignore[attr-defined]
    return [m for m in watcher.seen if m["type"] == kind]  # type: ignore[attr-defined]


def test_fault_no_presence(start_hub: StartHub) -> None:
    """Normal: test_presence_is_pushed_to_the_other_agents."""
    hub = start_hub(faults=["no-presence"])
    watcher = hub.agent("watcher")
    hub.agent("newcomer").close()
    hold_for(
        lambda: not presence_seen(watcher, "agent_joined") + presence_seen(watcher, "agent_left"),
        duration=0.5,
        what="no presence pushed",
        describe=lambda: repr(watcher.seen),
    )


def test_fault_no_fail_fencing(start_hub: StartHub) -> None:
    """Normal: test_hub_lifecycle's failure fencing; completions stay fenced."""
    hub = start_hub(faults=["no-fail-fencing"])
    agent, task_id, _, _ = hub.holding("failer", "stale failure")
    assert agent.fail(task_id, 99)["status"] == "retried"


def test_fault_head_of_line_blocking(start_hub: StartHub) -> None:
    """Normal: a task nobody can take is skipped (test_hub_scheduling)."""
    hub = start_hub(faults=["head-of-line-blocking"])
    cap = f"cap-{uid()}"
    hub.api.submit_id("blocked", priority="urgent", needed_capabilities=[cap, "gpu"])
    behind = hub.api.submit_id("behind", priority="low", needed_capabilities=[cap])
    hub.agent("plain", [cap])
    hold_for(
        lambda: hub.api.task(behind)["status"] == "queued",
        duration=0.5,
        what="the task behind stays queued",
        describe=lambda: repr(hub.api.task(behind)),
    )


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_fault_leaves_other_behaviour_alone(start_hub: StartHub, fault: str) -> None:
    """With one fault on, a plain round trip, auth and fencing work unless the fault names them."""
    hub = start_hub(faults=[fault])
    agent, task_id, _, assign = hub.holding("plain", "round trip")
    assert assign["task_id"] == task_id and assign["generation"] == 1
    stale = agent.complete(task_id, 99)
    if fault == "no-generation-fencing":
        assert stale["status"] == "complete"
    elif fault == "stale-ack":  # acknowledged, but nothing changed
        assert stale["status"] == "complete" and hub.api.task(task_id)["status"] == "assigned"
        assert agent.complete(task_id, 1)["status"] == "complete"
    else:
        assert stale == {"type": "error", "error": "task_complete_failed: stale_generation"}
        assert agent.complete(task_id, 1)["status"] == "complete"
    task = hub.api.task(task_id)
    assert task["status"] == "completed" and events(task).count("completed") == 1
    unauth = hub.api.get("/api/tasks/stats", token=None).status_code
    assert unauth == (200 if fault == "no-auth" else 401)
    assert hub.api.health()["agents_connected"] == 1
