"""Scheduling: capabilities, priority then age, idle-longest agent choice, one task each."""

from __future__ import annotations

from collections import Counter

from hubapi import wait_for
from hubsession import HubSession, StartHub, uid


def test_capabilities_must_contain_all_needed(hub: HubSession) -> None:
    x, y = f"x-{uid()}", f"y-{uid()}"
    task_id = hub.api.submit_id("needs x and y", needed_capabilities=[x, y])
    partial = hub.agent("partial", [x])
    assert partial.drain_until_pong() == [], "agent with a subset of the needs got the task"
    assert hub.api.task(task_id)["status"] == "queued"
    full = hub.agent("full", [y, "z", x])
    assign = full.next_assignment()
    assert assign["task_id"] == task_id
    assert partial.drain_until_pong() == []


def test_task_nobody_can_take_does_not_block_the_queue(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    blocked = hub.api.submit_id(
        "needs a unicorn", priority="urgent", needed_capabilities=[cap, f"unicorn-{uid()}"]
    )
    behind = [
        hub.api.submit_id(f"behind {n}", priority="low", needed_capabilities=[cap])
        for n in range(3)
    ]
    agent = hub.agent("plain", [cap])
    for expected in behind:
        assign = agent.take()
        assert assign["task_id"] == expected
        assert agent.complete(expected, assign["generation"])["status"] == "complete"
    assert hub.api.task(blocked)["status"] == "queued"


def test_priority_then_age(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    order = ["low", "normal", "urgent", "high", "low", "urgent", "normal", "high", "urgent"]
    ids = [
        hub.api.submit_id(f"order {n} {p}", priority=p, needed_capabilities=[cap])
        for n, p in enumerate(order)
    ]
    rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    keyed = sorted((rank[p], n, i) for n, (p, i) in enumerate(zip(order, ids, strict=True)))
    expected = [i for _, _, i in keyed]
    agent = hub.agent("orderly", [cap])
    seen = []
    for _ in ids:
        assign = agent.take()
        seen.append(assign["task_id"])
        assert agent.complete(assign["task_id"], assign["generation"])["status"] == "complete"
    assert seen == expected, "assignment order is not (priority, age)"


def test_tasks_queued_while_busy_go_to_the_agent_when_it_becomes_idle(hub: HubSession) -> None:
    """Defect 2 of the contract: an agent finishing its task gets the next one at once."""
    cap = f"cap-{uid()}"
    agent = hub.agent("worker", [cap])
    first = hub.api.submit_id("first", needed_capabilities=[cap])
    assign = agent.take()
    later = [hub.api.submit_id(f"later {n}", needed_capabilities=[cap]) for n in range(3)]
    assert agent.drain_until_pong() == [], "a busy agent got a second task"
    assert agent.complete(first, assign["generation"])["status"] == "complete"
    for task_id in later:
        nxt = agent.take()
        assert nxt["task_id"] == task_id
        assert agent.complete(task_id, nxt["generation"])["status"] == "complete"


def test_one_task_per_agent(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    ids = [hub.api.submit_id(f"one {n}", needed_capabilities=[cap]) for n in range(3)]
    agent = hub.agent("single", [cap])
    assign = agent.next_assignment()
    assert agent.accept(assign["task_id"])["status"] == "accepted"
    assert agent.drain_until_pong() == []
    statuses = Counter(hub.api.task(i)["status"] for i in ids)
    assert statuses == Counter({"assigned": 1, "queued": 2}), statuses
    second = hub.agent("second", [cap])
    other = second.next_assignment()
    assert other["task_id"] != assign["task_id"]
    statuses = Counter(hub.api.task(i)["status"] for i in ids)
    assert statuses == Counter({"assigned": 2, "queued": 1}), statuses


def test_idle_longest_agent_gets_the_task(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    agents = [hub.agent(f"idle{n}", [cap]) for n in range(3)]
    got = hub.owners_of_tasks(agents, cap, 6, "rr")
    expected = [a.agent_id for a in agents] * 2
    assert got == expected, "each task should go to the agent idle for the longest time"


def test_even_spread_over_agents_completing_at_once(start_hub: StartHub) -> None:
    """Waves of one task per agent, all completing at once: idle-longest gives each agent one.

    Within a wave every agent that has not had a task yet has been idle longer than one that
    just finished, so the spread is exact whatever the timing.
    """
    hub = start_hub()
    cap = f"cap-{uid()}"
    agents = [hub.auto_agent(f"even{n}", [cap]) for n in range(4)]
    ids: list[str] = []
    for wave in range(10):
        batch = [
            hub.api.submit_id(f"wave {wave} task {n}", needed_capabilities=[cap])
            for n in range(len(agents))
        ]
        ids += batch
        for task_id in batch:
            hub.api.wait_status(task_id, "completed")
        expected = len(ids)
        wait_for(
            lambda: sum(len(a.completed) for a in agents) == expected,  # noqa: B023
            what=f"wave {wave}: every completion acknowledged to its agent",
            describe=lambda: repr({a.agent_id: len(a.completed) for a in agents}),
        )
    counts = Counter({a.agent_id: len(a.completed) for a in agents})
    assert sorted(counts.values()) == [10, 10, 10, 10], f"uneven spread: {counts}"
    for agent in agents:
        assert agent.errors == [], f"{agent.agent_id} got errors: {agent.errors}"


def test_agent_joining_picks_up_queued_work(hub: HubSession) -> None:
    cap = f"cap-{uid()}"
    task_id = hub.api.submit_id("waiting for someone", needed_capabilities=[cap])
    assert hub.api.task(task_id)["status"] == "queued"
    agent = hub.agent("joiner", [cap])
    assert agent.next_assignment()["task_id"] == task_id
    wait_for(
        lambda: hub.api.task(task_id)["assigned_to"] == agent.agent_id,
        what="task assigned to the joining agent",
    )
