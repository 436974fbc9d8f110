"""The end of a test's history: the hub's records of the test's tasks and its agent states,
appended by the collector (Robot-free; talks to the hub only through ``HubClient``).

Order: a snapshot marker, agent states, every task record, agent states again. Then, when
the checker's settle decision (``checker.settle``) names assignments the hub recorded that
are still on their way to a connection that is open, a short wait for them
(:func:`wait_for_arrivals`). Agent events after the marker are "late" for the rules that
compare them with the records (the records may predate them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..checker.events import HUB, IN, MARK
from ..checker.settle import Owed, all_arrived
from ..checker.view import SNAPSHOT, STATES, TASK, TASK_MISSING
from ..hubapi.client import HubClient, HubError
from ..hubapi.record_cache import read_tasks
from ..hubapi.task_record import TaskRecord
from ..util.timeutil import Deadline
from .history import History

SETTLE = 2.0
REFRESH_EVERY = 0.1  # how often the settle wait fetches events from agent pools

Reader = Callable[[list[str]], "dict[str, TaskRecord | None]"]


def task_ids_in(history: History, submitted: Iterable[str]) -> list[str]:
    """The test's submitted tasks, then every other task an agent of the test was sent or
    acknowledged, each once, in first-seen order."""
    ids = dict.fromkeys(submitted)
    for event in history.events():
        if event.direction == IN and event.task_id and event.type in ("task_assign", "task_ack"):
            ids.setdefault(event.task_id)
    return list(ids)


def collect(
    history: History, client: HubClient, task_ids: Iterable[str], read: Reader | None = None
) -> str:
    """Append the hub's end-of-test records to ``history``; returns a note ('' if all
    went well) when the hub could not be read. ``read`` reads many task records at once
    (default: ``read_tasks``, one listing or one GET each)."""
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
    return "; ".join(notes)


def wait_for_arrivals(
    history: History,
    owed: Owed,
    timeout: float = SETTLE,
    refresh: Callable[[], object] | None = None,
) -> bool:
    """Wait (at most ``timeout``) until every ``owed`` assignment has arrived at its agent;
    ``refresh`` brings in agent events observed elsewhere (agent pools) meanwhile. Returns
    whether any event was recorded while waiting (then the view must be built again)."""
    if not owed:
        return False
    size = len(history)

    def arrived() -> bool:
        return all_arrived(owed, history.events())

    if refresh is None:
        history.wait_for(arrived, timeout)
    else:
        deadline = Deadline(timeout)
        while not history.wait_for(arrived, min(REFRESH_EVERY, deadline.remaining())):
            if deadline.remaining() <= 0:
                break
            refresh()
    return len(history) != size
