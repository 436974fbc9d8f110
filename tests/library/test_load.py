"""Load figures, the sweep's steps and chart, bulk requests and the per-test task records."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from AgentComLibrary.checker.events import HTTP, IN, OUT, changes_state
from AgentComLibrary.hubapi.bulk import KeepAliveClient, in_parallel, worker_client
from AgentComLibrary.hubapi.client import HubClient, HubRequestError, HubUnavailable
from AgentComLibrary.hubapi.record_cache import LISTING_MIN, TaskRecords, read_tasks
from AgentComLibrary.hubapi.task_record import TaskRecord
from AgentComLibrary.load.figures import load_figures, parse_percentile, percentile
from AgentComLibrary.load.sweep import SweepStep, agent_counts
from AgentComLibrary.observe.history import History
from AgentComLibrary.report.sweep_chart import render_sweep
from AgentComLibrary.util.masking import masked_head
from taskfactory import T0, agent, make_task

TOKEN = "ab" * 32


def done(n: int, created: int, assigned: int, completed: int) -> TaskRecord:
    worker = agent("w")
    return TaskRecord.parse(
        make_task(
            n, [("queued", created), ("assigned", assigned, worker), ("completed", completed)]
        )
    )


# -- figures -----------------------------------------------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7], 99) == 7
    assert parse_percentile("p99") == parse_percentile("99%") == 99.0
    assert parse_percentile("P99.9") == 99.9
    for bad in ("median", "p0", "p101", ""):
        with pytest.raises(ValueError, match="A percentile looks like"):
            parse_percentile(bad)


def test_figures_window_from_first_creation_to_last_completion() -> None:
    tasks = [done(1, 0, 2, 10), done(2, 100, 103, 1000), done(3, 50, 60, 400)]
    figures = load_figures(tasks)
    assert (figures.started_ms, figures.ended_ms) == (T0, T0 + 1000)
    assert figures.completed == 3 and figures.throughput == pytest.approx(3.0)
    assert figures.latencies_ms == (2, 3, 10)
    assert figures.latency(50) == 3 and figures.latency(99) == 10
    queued = TaskRecord.parse(make_task(4, "queued@5"))
    assert load_figures([queued]).throughput == 0.0 and load_figures([queued]).latency(99) is None


def test_sweep_steps_name_the_bars_they_break() -> None:
    step = SweepStep.of(200, load_figures([done(1, 0, 300, 400)]), 1.5)
    assert step.problems(None, None) == []
    assert step.problems(5000, 250) == ["2 tasks/s, below 5,000", "p99 300 ms, not below 250 ms"]
    assert SweepStep(**step.as_dict()) == step
    assert agent_counts("10, 50, 200") == [10, 50, 200] == agent_counts(["10", "50", "200"])
    for bad in ("10, 5", "0, 5", "ten", ""):
        with pytest.raises(ValueError):
            agent_counts(bad)


def test_sweep_chart_is_one_wellformed_svg_with_the_bars() -> None:
    steps = [
        SweepStep(10, 100, 100, 1.0, 900.0, 0, 1, 2),
        SweepStep(50, 100, 100, 1.0, 150.0, 0, 1, 400),
    ]
    html = render_sweep(steps, 200, 250)
    assert "the bars (at least 200 tasks/s, p99 below 250 ms) break at 50 agents" in html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    root = ET.fromstring(svg)
    assert len(root.findall("polyline")) == 2  # throughput and p99
    assert len([e for e in root.iter("line") if e.get("stroke-dasharray")]) == 2  # the bars
    assert "every step within the bars" in render_sweep(steps[:1], 200, 250)


# -- history epochs and masking ----------------------------------------------------------------


def test_only_events_that_may_change_the_hub_count_as_changes() -> None:
    assert not changes_state(HTTP, "GET /api/tasks")
    assert changes_state(HTTP, "POST /api/tasks")
    assert not changes_state(OUT, "ping") and not changes_state(IN, "pong")
    assert changes_state(OUT, "task_complete") and changes_state(IN, "task_ack")
    history = History("t")
    history.record(OUT, "ping")
    history.http("GET", "/api/tasks", 200, None, {}, 0)
    assert history.changes == 0
    history.record(IN, "task_assign")
    assert history.changes == 1


def test_masked_head_masks_only_what_it_shows() -> None:
    text = f'{{"token": "{TOKEN}"}}' + "x" * 10_000
    head = masked_head(text, 40)
    assert TOKEN not in head and TOKEN[:8] in head and head.endswith(f"({len(text)} characters)")
    assert masked_head(f"Bearer {TOKEN}", 500) == f"Bearer {TOKEN[:8]}..."


# -- task records --------------------------------------------------------------------------------


class FakeClient(HubClient):
    """Answers GET /api/tasks, /api/tasks/stats and /api/tasks/<id> from a dict; counts calls."""

    def __init__(self, tasks: dict[str, dict], listed: int | None = None) -> None:
        super().__init__("http://hub.invalid")
        self.tasks = tasks
        self.listed = len(tasks) if listed is None else listed
        self.calls: list[str] = []

    def request(self, method, path, *, json_body=None, params=None, expect=(200,)):
        self.calls.append(path)
        if path == "/api/tasks":
            return {"tasks": list(self.tasks.values()), "count": len(self.tasks)}
        if path == "/api/tasks/stats":
            return {"by_status": {"completed": self.listed}, "dead_letter": 0}
        task_id = path.rsplit("/", 1)[1]
        if task_id not in self.tasks:
            raise HubRequestError(method, path, 404, {"error": "task_not_found"})
        return self.tasks[task_id]


def raw_tasks(count: int, status: str = "completed", first: int = 1) -> dict[str, dict]:
    steps = [("queued", 0), ("assigned", 1, agent("w"))]
    steps += [("completed", 2)] if status == "completed" else []
    return {(t := make_task(n, steps))["id"]: t for n in range(first, first + count)}


def test_many_tasks_are_read_with_one_listing_and_the_unknown_with_one_get_each() -> None:
    client = FakeClient(raw_tasks(LISTING_MIN))
    ids = [*client.tasks, "task-unknown"]
    found = read_tasks(client, ids, workers=1)
    assert list(found) == ids and found["task-unknown"] is None
    assert client.calls == ["/api/tasks/stats", "/api/tasks", "/api/tasks/task-unknown"]


def test_a_crowded_hub_is_read_one_get_at_a_time() -> None:
    client = FakeClient(raw_tasks(LISTING_MIN), listed=1_000_000)
    read_tasks(client, list(client.tasks), workers=1)
    assert "/api/tasks" not in client.calls and len(client.calls) == LISTING_MIN + 1


def test_completed_records_are_reused_until_the_epoch_changes() -> None:
    epoch = [0]
    client = FakeClient({**raw_tasks(2), **raw_tasks(3, status="assigned", first=3)})
    ids = list(client.tasks)
    completed = ids[:2]
    records = TaskRecords(lambda: epoch[0])
    first = records.fetch(client, ids)
    client.calls.clear()
    again = records.fetch(client, ids)
    assert all(again[t] is first[t] for t in completed)  # kept, not read again
    assert len(client.calls) == 3  # the assigned ones are read every time
    epoch[0] += 1
    client.calls.clear()
    records.fetch(client, ids)
    assert len(client.calls) == len(ids)  # a new epoch reads everything
    assert records.reused == len(completed)


# -- bulk requests ------------------------------------------------------------------------------


def test_keepalive_workers_submit_and_raise_like_hubclient(hub) -> None:
    client = HubClient(hub.url, hub.token)
    worker = worker_client(client)
    assert isinstance(worker, KeepAliveClient)
    body = {"description": "bulk", "needed_capabilities": ["nobody-has-this"]}
    ids = in_parallel(client, lambda c, n: c.submit_task(body)["task_id"], range(20), 4)
    assert len(set(ids)) == 20 and all(isinstance(i, str) for i in ids)
    assert [t.id for t in read_tasks(client, ids, workers=4).values()] == ids
    with pytest.raises(HubRequestError) as info:
        worker.get_task("task-0000000000000000")
    assert info.value.status == 404
    worker.close()
    gone = KeepAliveClient("http://127.0.0.1:9", timeout=1)
    with pytest.raises(HubUnavailable, match="connection refused"):
        gone.health()
    client.close()
