"""The hub's records of a test's tasks, read in bulk and reused while nothing changed.

Checks of a 10,000-task test would read 10,000 records each (one GET each: 5.7 s on the
embedded hub). :class:`TaskRecords` reads them at most once per state of the test:

- many tasks are read with one ``GET /api/tasks`` listing when the hub's listing is not much
  larger than what is wanted (``GET /api/tasks/stats`` says how large); the rest (dead
  letter, unknown, or all of them on a crowded hub) with one GET each, from worker threads;
- a ``completed`` record is final (nothing changes a task after its completion), so it is
  kept and handed out again, but only while the test's *epoch* stays the same: every frame
  an agent sends or receives (pings aside), every request that is not a GET, every
  connection event and a restart of the embedded hub start a new epoch and drop what is
  kept. A check after a wait or an agent action therefore always reads the hub again.
- records that are not ``completed`` are read again every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .bulk import first_error, in_parallel
from .client import HubClient, HubError
from .task_record import TaskRecord

LISTING_MIN = 50  # below this many tasks one GET each is as quick as the listing
LISTING_FACTOR = 10  # list while the listing holds at most this many records per task wanted
# threads for one GET each (5,000 GETs on 2 cores: 0.89 s with 1, 0.69 s with 2, 0.55 s with 4)
WORKERS = 4
LISTED = ("queued", "assigned", "completed")  # GET /api/tasks leaves dead-letter tasks out


def read_tasks(
    client: HubClient, task_ids: Iterable[str], workers: int = WORKERS
) -> dict[str, TaskRecord | None]:
    """The hub's record of each task (None: the hub answers 404), in the order given."""
    ids = list(dict.fromkeys(task_ids))
    found: dict[str, TaskRecord] = {}
    if len(ids) >= LISTING_MIN and _listing_is_small(client, len(ids)):
        wanted = set(ids)
        body = client.request("GET", "/api/tasks")
        listing = body.get("tasks") if isinstance(body, dict) else None
        for raw in listing or []:
            if isinstance(raw, dict) and raw.get("id") in wanted:
                found[raw["id"]] = TaskRecord.parse(raw)
    rest = [task_id for task_id in ids if task_id not in found]
    results = in_parallel(client, _find, rest, workers if len(rest) >= LISTING_MIN else 1)
    error = first_error(results)
    if error is not None:
        raise error
    fetched = dict(zip(rest, results, strict=True))
    return {task_id: found.get(task_id) or fetched.get(task_id) for task_id in ids}  # type: ignore[misc]


def _find(client: HubClient, task_id: str) -> TaskRecord | None:
    return client.find_task(task_id)


def _listing_is_small(client: HubClient, wanted: int) -> bool:
    """Whether ``GET /api/tasks`` would answer at most ``LISTING_FACTOR`` records per task
    wanted (on a hub shared with much other work it would be large)."""
    try:
        stats = client.task_stats()
        by_status = stats.get("by_status") or {}
        listed = sum(int(by_status.get(status) or 0) for status in LISTED)
    except (HubError, AttributeError, TypeError, ValueError):
        return False
    return listed <= LISTING_FACTOR * wanted


class TaskRecords:
    """One test's reader of task records, keeping completed ones for the current epoch."""

    def __init__(self, epoch: Callable[[], object] = lambda: None) -> None:
        self._epoch_of = epoch
        self._epoch: object = object()  # matches no epoch: the first read reads everything
        self._final: dict[str, TaskRecord] = {}
        self.read = 0  # records read from the hub, for the log
        self.reused = 0  # records handed out again without reading

    def fetch(self, client: HubClient, task_ids: Iterable[str]) -> dict[str, TaskRecord | None]:
        """Each task's record (None: unknown to the hub), in the order given."""
        ids = list(dict.fromkeys(task_ids))
        epoch = self._epoch_of()  # taken before reading: a change during the read counts
        if epoch != self._epoch:
            self._final.clear()
            self._epoch = epoch
        wanted = [task_id for task_id in ids if task_id not in self._final]
        fresh = read_tasks(client, wanted) if wanted else {}
        self.read += len(wanted)
        self.reused += len(ids) - len(wanted)
        for task_id, task in fresh.items():
            if task is not None and task.completed:
                self._final[task_id] = task
        return {t: self._final[t] if t in self._final else fresh.get(t) for t in ids}

    def forget(self) -> None:
        """Drop every kept record (the next read asks the hub for all of them)."""
        self._final.clear()
