"""Pool agents' frames reach the contract checker: a pool over loopback (no root)."""

from __future__ import annotations

import pytest
from AgentComLibrary.checker.events import CONN, IN, OUT
from AgentComLibrary.checker.settle import owed_assignments
from AgentComLibrary.checker.verdict import check
from AgentComLibrary.checker.view import build
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from AgentComLibrary.observe.collect import collect, wait_for_arrivals
from AgentComLibrary.observe.history import History
from AgentComLibrary.pool.remote_agent import PoolClient, PoolClock, RemoteAgent
from AgentComLibrary.util.choices import Behaviour
from polling import poll
from poolsupport import SECRET, start_pool_agent, submit_run_task

RUN = "poolhist"


def _start(
    hub: EmbeddedHub, pool_url: str, name: str, history: History
) -> tuple[RemoteAgent, HubClient]:
    pool = PoolClient(pool_url, "p", SECRET)
    agent = start_pool_agent(pool, hub, RUN, name, Behaviour.COMPLETE, history)
    return agent, HubClient(hub.url, hub.token)


def _submit(hub: EmbeddedHub) -> str:
    return submit_run_task(hub, RUN, "pool history test")


def _judge(history: History, client: HubClient, agent: RemoteAgent, task: str):
    agent.flush_history()
    note = collect(history, client, [task])
    assert note == ""
    names = {agent.agent_id: agent.name}
    view = build(history, names=names)
    if wait_for_arrivals(history, owed_assignments(view), 3.0, refresh=agent.flush_history):
        view = build(history, names=names)
    return check(view)


def test_a_pool_agents_frames_and_connection_are_in_the_tests_history(pool_url: str) -> None:
    hub = EmbeddedHub().start()
    history = History("pool frames")
    local_conn = history.new_connection()
    try:
        agent, client = _start(hub, pool_url, "far", history)
        task = _submit(hub)
        assert agent.wait_for(lambda: task in agent.completed_ids(), 10)
        verdict = _judge(history, client, agent, task)
    finally:
        agent.stop()
        hub.stop()
    mine = [e for e in history.events() if e.actor == "far"]
    kinds = {(e.direction, e.type) for e in mine}
    assert {(CONN, "open"), (OUT, "identify"), (IN, "identified")} <= kinds, kinds
    assert (IN, "task_assign") in kinds and (OUT, "task_complete") in kinds, kinds
    assigned = next(e for e in mine if e.type == "task_assign")
    assert assigned.task_id == task and assigned.generation == 1
    # renumbered: no clash with the connections of this process
    assert {e.conn for e in mine if e.conn is not None} and local_conn not in {e.conn for e in mine}
    # placed in this test's time: within the test, in order
    seconds = [history.relative_s(e) for e in mine]
    assert seconds == sorted(seconds) and 0 <= seconds[0] < 15, seconds
    assert verdict.ok, verdict.violations
    assert verdict.connections == 1  # the pool agent's connection was judged


def test_the_checker_names_a_pool_agent_that_never_got_its_assignment(pool_url: str) -> None:
    hub = EmbeddedHub(faults=["lose-assignment"]).start()
    history = History("pool lost assignment")
    try:
        agent, client = _start(hub, pool_url, "cutoff", history)
        tasks = [_submit(hub) for _ in range(6)]

        def lost() -> str | None:
            # the hub's 5th assignment is recorded but never sent: it stays assigned
            if len(agent.completed_ids()) < 4:
                return None
            held = [t for t in tasks if client.get_task(t).status == "assigned"]
            return next((t for t in held if t not in agent.received_ids()), None)

        task = poll(lost, 15, 0.05)
        assert task, [client.get_task(t).status for t in tasks]
        verdict = _judge(history, client, agent, task)
    finally:
        agent.stop()
        hub.stop()
    # named from the pool agent's own frames: it never got the task the hub says it holds
    # (which of the two rules proves it first depends on how close the times are)
    named = {
        v.rule for v in verdict.violations if (v.task_id, v.agent_id) == (task, agent.agent_id)
    }
    assert named & {"assignment-delivered", "agent-states-agree"}, verdict.violations
    # without the pool agent's frames the checker could not have seen it
    blind = check(build([e for e in history.events() if e.actor != agent.name]))
    assert blind.ok, blind.violations


@pytest.mark.parametrize(
    ("sent", "answered", "pool", "offset"),
    [
        (1_000, 1_004, 1_002, 0),  # same clock within the round trip
        (1_000, 1_004, 501_002, -500_000),  # the pool's clock is 500 s ahead
        (1_000, 1_010, 1_000 + 5 + 2_000, -2_000),
    ],
)
def test_the_pool_clock_offset_comes_from_the_quickest_call(
    sent: int, answered: int, pool: int, offset: int
) -> None:
    clock = PoolClock()
    assert clock.update(sent, answered, pool, wait=0) == offset
    # a slower call later does not replace the estimate; a blocking one says nothing
    assert clock.update(2_000, 2_400, pool + 1_000 + 9_999, wait=0) == offset
    assert clock.update(3_000, 3_001, 0, wait=0.5) == offset
