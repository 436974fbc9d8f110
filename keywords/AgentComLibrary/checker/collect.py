"""The end of a test's history: the hub's records of the test's tasks and its agent states,
appended by the collector (Robot-free; talks to the hub only through ``HubClient``).

Order: a snapshot marker, agent states, every task record, agent states again; then a short
settle wait for assignments the hub recorded that are still on their way to a connection
that is open. Agent events after the marker are "late" for the rules that compare them with
the records (the records may predate them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..hubapi.client import HubClient, HubError
from ..hubapi.model import Task
from ..hubapi.records import read_tasks
from ..util.timeutil import Deadline
from .history import HUB, IN, MARK, History
from .rules import assignment_delivered
from .view import SNAPSHOT, STATES, TASK, TASK_MISSING, build

SETTLE = 2.0
REFRESH_EVERY = 0.1  # how often the settle wait fetches events from agent pools

Reader = Callable[[list[str]], "dict[str, Task | None]"]


def task_ids_in(history: History, submitted: Iterable[str]) -> list[str]:
    """The test's submitted tasks, then every other task an agent of the test was sent or
    acknowledged, each once, in first-seen order."""
    ids = dict.fromkeys(submitted)
    for event in history.events():
        if event.direction == IN and event.task_id and event.type in ("task_assign", "task_ack"):
            ids.setdefault(event.task_id)
    return list(ids)


def collect(
    history: History,
    client: HubClient,
    task_ids: Iterable[str],
    settle: float = SETTLE,
    read: Reader | None = None,
    refresh: Callable[[], object] | None = None,
) -> str:
    """Append the hub's end-of-test records to ``history``; returns a note ('' if all
    went well) when the hub could not be read. ``read`` reads many task records at once
    (default: ``read_tasks``, one listing or one GET each). ``refresh`` brings in agent
    events observed elsewhere (agent pools) while the collector waits for assignments on
    their way."""
    history.record(MARK, SNAPSHOT, actor="checker")
    notes = []
    try:
        before = client.agent_states()
    except HubError as error:
        before = None
        notes.append(f"agent states unavailable: {error}")
    try:
        records = (read or (lambda ids: read_tasks(client, ids)))(list(task_ids))
    except HubError as error:
        records = {}
        notes.append(f"task records unavailable: {error}")
    for task_id, task in records.items():
        if task is None:
            history.record(HUB, TASK_MISSING, actor="hub", task_id=task_id)
            continue
        history.record(HUB, TASK, actor="hub", task_id=task.id, info={"task": task})
    try:
        after = client.agent_states() if before is not None else None
    except HubError as error:
        after = None
        notes.append(f"agent states unavailable: {error}")
    if before is not None and after is not None:
        history.record(HUB, STATES, actor="hub", info={"before": before, "after": after})
    _settle(history, settle, refresh)
    return "; ".join(notes)


def _settle(history: History, timeout: float, refresh: Callable[[], object] | None = None) -> None:
    """Wait (at most ``timeout``) until every recorded assignment that
    ``assignment-delivered`` would miss has arrived (it may still be on its way)."""
    view = build(history)
    owed = {
        (v.agent_id, v.task_id, e.generation)
        for v in assignment_delivered(view)
        for task in [view.tasks[v.task_id or ""]]
        for e in task.assignments
        if e.agent_id == v.agent_id
    }
    if not owed:
        return

    def arrived() -> bool:
        got = {
            (e.agent_id, e.task_id, e.generation)
            for e in history.events()
            if e.direction == IN and e.type == "task_assign"
        }
        return owed <= got

    if refresh is None:
        history.wait_for(arrived, timeout)
        return
    deadline = Deadline(timeout)
    while not history.wait_for(arrived, min(REFRESH_EVERY, deadline.remaining())):
        if deadline.remaining() <= 0:
            return
        refresh()
