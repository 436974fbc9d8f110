"""Durability: every acknowledged task survives a SIGKILL (or SIGTERM) restart of the hub."""

from __future__ import annotations

import threading

import pytest
import requests
from hubapi import Api, events, wait_for
from hubsession import HubSession, StartHub, uid
from hubwsclient import AutoAgent


class Submitter(threading.Thread):
    """Submits tasks until stopped or the hub goes away; keeps the ids that got a 201."""

    def __init__(self, url: str, token: str, cap: str) -> None:
        super().__init__(daemon=True)
        self.api = Api(url, token)
        self.cap = cap
        self.accepted: list[str] = []
        self.stop_flag = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        n = 0
        while not self.stop_flag.is_set():
            try:
                resp = self.api.post(
                    "/api/tasks",
                    json={"description": f"durable {n}", "needed_capabilities": [self.cap]},
                    timeout=5,
                )
            except requests.RequestException:
                return  # the hub was killed under us: this submission counts as not acked
            if resp.status_code != 201:
                self.failure = f"submit {n}: {resp.status_code} {resp.text[:200]}"
                return
            self.accepted.append(resp.json()["task_id"])
            n += 1


def completions(agents: list[AutoAgent]) -> list[str]:
    return [t for a in agents for t in a.completed]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["kill", "terminate"])
def test_acknowledged_tasks_survive_restart(start_hub: StartHub, mode: str) -> None:
    hub: HubSession = start_hub(
        options=["--stuck-sweep-interval", "200ms", "--stuck-threshold", "2s"]
    )
    bootstrap = hub.token
    cap = f"cap-{uid()}"
    names = [f"bb-dur{n}-{uid()}" for n in range(4)]
    tokens = {name: hub.api.create_token(name) for name in names}
    first_wave = [hub.auto_agent(agent_id=n, token=tokens[n], capabilities=[cap]) for n in names]
    submitter = Submitter(hub.url, hub.token, cap)
    submitter.start()
    wait_for(
        lambda: len(completions(first_wave)) >= 40 or submitter.failure,
        timeout=60,
        what="40 completions before the restart",
    )
    assert submitter.failure is None, submitter.failure

    hub.proc.restart(mode)  # while tasks are flowing
    submitter.stop_flag.set()
    submitter.join(timeout=15)
    hub.refresh()
    assert hub.token == bootstrap, "the bootstrap token must be reused after a restart"
    for agent in first_wave:
        agent.stop()
    acked_before = completions(first_wave)
    accepted = list(submitter.accepted)
    assert len(accepted) >= 40

    before: dict[str, dict] = {}
    for task_id in accepted:
        resp = hub.api.get(f"/api/tasks/{task_id}")
        assert resp.status_code == 200, f"task {task_id} got a 201 but is gone after {mode}"
        before[task_id] = resp.json()
    lost_completions = [t for t in acked_before if before[t]["status"] != "completed"]
    assert not lost_completions, f"acknowledged completions not kept: {lost_completions}"
    for task_id, task in before.items():
        assert events(task).count("completed") == (1 if task["status"] == "completed" else 0), (
            f"{task_id}: {task['history']}"
        )

    # the same agents come back and finish the rest; they ask about what they held
    second_wave = []
    for old in first_wave:
        held = [t for t in old.task_ids() if t not in old.completed]
        agent = AutoAgent(hub.ws_url, old.agent_id, tokens[old.agent_id], [cap], recover=held)
        hub.autos.append(agent)
        second_wave.append(agent.start())

    def all_done() -> bool:
        return all(hub.api.task(t)["status"] == "completed" for t in accepted)

    wait_for(all_done, timeout=60, what="every accepted task completed after the restart")
    for task_id in accepted:
        task = hub.api.task(task_id)
        assert events(task).count("completed") == 1, f"{task_id} completed twice: {task}"
        if before[task_id]["status"] == "completed":
            assert task == before[task_id], f"{task_id} changed after it was completed"
    acked = completions(first_wave) + completions(second_wave)
    dupes = sorted({t for t in acked if acked.count(t) > 1})
    assert not dupes, f"completion acknowledged twice for {dupes}"
    for agent in second_wave:
        assert agent.errors == [], f"{agent.agent_id}: {agent.errors}"


def test_tokens_and_dead_letter_survive_restart(start_hub: StartHub) -> None:
    hub = start_hub()
    agent_id = f"bb-keep-{uid()}"
    token = hub.api.create_token(agent_id)
    cap = f"cap-{uid()}"
    dead = hub.api.submit_id("dead", max_retries=1, needed_capabilities=[cap])
    queued = hub.api.submit_id("queued", priority="urgent", needed_capabilities=[f"{cap}-x"])
    ws = hub.agent("dl", [cap])
    assign = ws.take()
    assert ws.fail(dead, assign["generation"], "bad")["status"] == "dead_letter"
    ws.close()
    stats = hub.api.stats()
    url = hub.url
    hub.proc.restart("kill")
    hub.refresh()
    assert hub.url == url, "a restart must come back on the same port"
    assert hub.api.stats() == stats
    assert [t["id"] for t in hub.api.dead_letter()] == [dead]
    assert hub.api.task(queued)["status"] == "queued"
    hub.api.expect(hub.api.get("/api/tasks/stats", token=token), 200)
    again = hub.client()
    again.identify(agent_id, token)
    again.assert_open()
