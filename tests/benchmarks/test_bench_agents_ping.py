"""Long-lived agents ping, so the hub's ping timeout does not evict them (issue 14).

Every hub here evicts agents that sent no ping for 1.5 s. The benchmark's agents and the
library's simulated agent ping every 0.25 s and must stay connected for three ping timeouts
while they work. The negative controls prove the tests can fail: agents that never ping are
evicted under the same timeout, and the benchmark then stops at once, saying which agent and
how the hub closed its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Callable, Iterator

import aiohttp
import hub_throughput as bench
from agentcom_hub.config import HubConfig
from AgentComLibrary.agents.simulated import PING_INTERVAL, SimulatedAgent
from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub

PING_TIMEOUT_S = 1.5
SHORT_PING_TIMEOUT = ["--ping-timeout", "1500ms"]
PING_INTERVAL_S = 0.25
STAY_S = 3 * PING_TIMEOUT_S
NEVER_S = 3600.0  # a ping interval that never comes within a test
POLL_S = 0.1
BATCH = 5
EVICTED = "sent no ping for 1.5s: evicted"

StartHub = Callable[..., EmbeddedHub]  # the `start_hub` fixture


def test_default_ping_intervals_leave_room_under_the_hub_ping_timeout() -> None:
    room = HubConfig().ping_timeout / 3
    bench_interval, library_interval = bench.parse_args([]).ping_interval, PING_INTERVAL
    assert bench_interval == bench.PING_INTERVAL_S
    assert bench_interval <= room and library_interval <= room


# -- the benchmark's agents ------------------------------------------------------------------


async def listed_agents(session: aiohttp.ClientSession, url: str) -> set[str]:
    """The agent ids in GET /api/agents."""
    async with session.get(f"{url}/api/agents") as resp:
        return {agent["agent_id"] for agent in (await resp.json())["agents"]}


async def keep_bench_agents_working(
    session: aiohttp.ClientSession, hub: EmbeddedHub, tally: bench.Tally, agent_ids: list[str]
) -> int:
    """Run batches of tasks through the agents for STAY_S seconds, polling GET /api/agents;
    fail at once if an agent leaves the list (a lost connection raises AgentLostError).
    Returns the number of tasks completed."""
    start = time.monotonic()
    tasks = 0
    while time.monotonic() - start < STAY_S:
        await bench.pipeline(session, hub.url, hub.token, tally, BATCH, 1, "keep busy")
        tasks += BATCH
        gone = set(agent_ids) - await listed_agents(session, hub.url)
        assert not gone, (
            f"{sorted(gone)} left the hub {time.monotonic() - start:.1f}s into the run:\n"
            f"{hub.log_tail()}"
        )
        await asyncio.sleep(POLL_S)
    return tasks


def test_bench_agents_stay_connected_past_the_ping_timeout(start_hub: StartHub) -> None:
    hub = start_hub(SHORT_PING_TIMEOUT)

    async def run() -> bench.Tally:
        tally = bench.Tally()
        async with (
            aiohttp.ClientSession() as session,
            bench.AgentPool(
                session, hub.url, hub.ws_url, hub.token, tally, PING_INTERVAL_S
            ) as pool,
        ):
            await pool.connect(3)
            worked = await keep_bench_agents_working(session, hub, tally, pool.agent_ids)
            await bench.pipeline(session, hub.url, hub.token, tally, 50, 2, "afterwards")
            assert tally.total_done == worked + 50
        return tally

    tally = asyncio.run(run())
    assert not tally.lost and not tally.errors and not tally.duplicates
    assert EVICTED not in hub.log_path.read_text()


def test_bench_stops_at_once_when_the_hub_evicts_agents_that_never_ping(
    start_hub: StartHub,
) -> None:
    # lose-assignment never sends every 5th task_assign, so 2 of the 10 tasks cannot finish
    # and the pipeline is still waiting when the hub evicts the agents (as the 50,000-task
    # prefill was in the issue); without the fix it would wait out its 120 s timeout.
    hub = start_hub(SHORT_PING_TIMEOUT, faults=["lose-assignment"])

    async def run() -> tuple[bench.AgentLostError, float, bench.Tally]:
        tally = bench.Tally()
        async with (
            aiohttp.ClientSession() as session,
            bench.AgentPool(session, hub.url, hub.ws_url, hub.token, tally, None) as pool,
        ):
            await pool.connect(2)
            start = time.monotonic()
            try:
                await bench.pipeline(session, hub.url, hub.token, tally, 10, 1, "bench")
            except bench.AgentLostError as error:
                return error, time.monotonic() - start, tally
        raise AssertionError("the pipeline finished although its agents never pinged")

    error, waited, tally = asyncio.run(run())
    assert waited < 10, f"the benchmark took {waited:.1f}s to notice the eviction: {error}"
    assert re.match(
        r"bench stopped at once with 2 of 10 tasks not completed: agent bench-0[01] lost its "
        r"connection \d+\.\ds after connecting \(at \d\d:\d\d:\d\d\): the hub closed it with "
        r"code 1008 \('ping timeout'\)",
        str(error),
    ), str(error)
    assert tally.lost[0].after_s >= PING_TIMEOUT_S * 0.9, "evicted before the ping timeout"
    assert EVICTED in hub.log_path.read_text()


# -- the library's simulated agent -----------------------------------------------------------


@contextlib.contextmanager
def simulated_agent(
    hub: EmbeddedHub, ping_interval: float
) -> Iterator[tuple[HubClient, SimulatedAgent]]:
    """A hub client and a started simulated agent of a run of its own; both are stopped at
    the end of the block."""
    client = HubClient(hub.url, hub.token)
    run_id = secrets.token_hex(4)
    agent_id = f"smoke-{run_id}-agent"
    agent = SimulatedAgent(
        "agent",
        agent_id,
        client.create_token(agent_id),
        hub.ws_url,
        run_id,
        capabilities=[f"smoke-{run_id}"],
        ping_interval=ping_interval,
    )
    agent.start()
    try:
        yield client, agent
    finally:
        agent.stop()
        client.close()


def complete_one_task(client: HubClient, agent: SimulatedAgent) -> None:
    """Submit a task only `agent` can take and wait until the hub acknowledged its
    completion; fail at once if the agent's connection ends."""
    task_id = client.submit_task(
        {
            "description": "ping test",
            "metadata": {"smoke_run": agent.run_id},
            "needed_capabilities": agent.capabilities,
        }
    )["task_id"]
    agent.wait_for(lambda: task_id in agent.completed_ids() or not agent.connected, 10)
    assert task_id in agent.completed_ids(), (
        f"{task_id} not completed by {agent.name} (state {agent.state})"
    )


def test_simulated_agent_stays_connected_past_the_ping_timeout(start_hub: StartHub) -> None:
    hub = start_hub(SHORT_PING_TIMEOUT)
    with simulated_agent(hub, PING_INTERVAL_S) as (client, agent):
        start = time.monotonic()
        while time.monotonic() - start < STAY_S:
            complete_one_task(client, agent)
            listed = {a["agent_id"] for a in client.agents()}
            assert agent.connected and agent.agent_id in listed, (
                f"agent {agent.state} {time.monotonic() - start:.1f}s into the run:\n"
                f"{hub.log_tail()}"
            )
            time.sleep(POLL_S)
        complete_one_task(client, agent)
        assert agent.connections == 1
        assert agent.ignored_types.get("pong", 0) >= STAY_S / PING_INTERVAL_S / 2
    assert EVICTED not in hub.log_path.read_text()


def test_simulated_agent_that_never_pings_is_evicted(start_hub: StartHub) -> None:
    hub = start_hub(SHORT_PING_TIMEOUT)
    with simulated_agent(hub, NEVER_S) as (client, agent):
        start = time.monotonic()
        complete_one_task(client, agent)  # task traffic is not a ping
        lost = agent.wait_for(lambda: agent.state == "lost", 10 * PING_TIMEOUT_S)
        after = time.monotonic() - start
        assert lost, f"not evicted within {10 * PING_TIMEOUT_S}s (state {agent.state})"
        assert after >= PING_TIMEOUT_S * 0.9, f"lost after {after:.1f}s, before the ping timeout"
        assert agent.agent_id not in {a["agent_id"] for a in client.agents()}
    assert f"agent {agent.agent_id} {EVICTED}" in hub.log_path.read_text()
