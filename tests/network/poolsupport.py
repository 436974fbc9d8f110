"""Helpers for tests with pool agents: start one on a hub, submit a task it can take."""

from __future__ import annotations

from AgentComLibrary.hubapi.client import HubClient
from AgentComLibrary.hubapi.embedded import EmbeddedHub
from AgentComLibrary.observe.history import History
from AgentComLibrary.pool.remote_agent import PoolClient, RemoteAgent
from AgentComLibrary.util.choices import Behaviour

SECRET = "s3cret-for-tests"


def start_pool_agent(
    pool: PoolClient,
    hub: EmbeddedHub,
    run: str,
    name: str,
    behaviour: Behaviour,
    history: History | None = None,
) -> RemoteAgent:
    """An agent ``smoke-<run>-<name>`` in ``pool``, identified at ``hub``, with the run's
    capability."""
    client = HubClient(hub.url, hub.token)
    agent_id = f"smoke-{run}-{name}"
    return RemoteAgent.start(
        pool,
        name=name,
        agent_id=agent_id,
        token=client.create_token(agent_id),
        ws_url=hub.ws_url,
        run_id=run,
        capabilities=[f"smoke-{run}"],
        behaviour=behaviour,
        delay=0.1,
        tokens_used=7,
        ping_interval=1.0,
        timeout=10.0,
        history=history,
    )


def submit_run_task(hub: EmbeddedHub, run: str, description: str = "pool test") -> str:
    """Submit a task only agents of ``run`` can take; its id."""
    task = HubClient(hub.url, hub.token).submit_task(
        {
            "description": description,
            "needed_capabilities": [f"smoke-{run}"],
            "metadata": {"smoke_run": run},
        }
    )
    return task["task_id"]
