"""Keywords that submit tasks, read them and wait on their state."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import NamedTuple

from robot.utils import secs_to_timestr
from robotlibcore import keyword

from ..hubapi.bulk import first_error, in_parallel
from ..hubapi.client import HubClient, HubError, HubRequestError
from ..hubapi.task_record import TaskRecord
from ..report.task_text import task_table
from ..util.choices import Priority, PriorityWord, TaskStatus
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, short_agent
from ..util.timeutil import human_ms, now_ms
from ..util.waiting import Outcome, within
from .base import LibraryComponent, Message, Timeout


class TaskOptions(NamedTuple):
    """The options `Submit Tasks` passes on to every task, in `Submit Task`'s order
    (after description and priority)."""

    metadata: dict | None
    max_retries: int
    complete_by: timedelta | None
    capabilities: list[str] | None


class TaskKeywords(LibraryComponent):
    # -- submitting ------------------------------------------------------------------------

    @keyword(tags=["Task"])
    def submit_task(
        self,
        description: str,
        priority: PriorityWord = "normal",
        metadata: dict | None = None,
        max_retries: int = 3,
        complete_by: timedelta | None = None,
        capabilities: list[str] | None = None,
    ) -> str:
        """Submits a task of this run and returns its id.

        The task needs the run's capability ``smoke-<run>`` and carries
        ``{"smoke_run": <run>}`` in its metadata, so only this run's agents take it.

        *Retries.* Despite its name, ``max_retries`` counts *attempts*: a failure report
        (``task_failed``) with ``retry_count + 1 >= max_retries`` moves the task to the dead
        letter, an earlier one puts it back in the queue (history ``retry``). So
        ``max_retries=3`` (the default, as the hub's) means the third failure dead-letters
        the task: 3 attempts, 2 retries; ``1`` (or ``0``) dead-letters it at its first
        failure. Reclaims (a lost connection, the acceptance timeout, ``complete_by``) do
        not count.

        A retried task goes to any idle agent that can take it, *the one that just failed
        it included*: the embedded hub offers it to the other idle agents first, but when
        none is idle (all are busy) the failing agent gets it straight back, a few
        milliseconds later; the real hub may hand it back even when another agent is idle.
        So an agent that fails every task, next to one that is busy, can use up a task's
        attempts in a few milliseconds and dead-letter it: ``docs/scenarios.md``
        (*Failures and retries*) shows a scenario that does not depend on that.

        Args:
            description: the task's description.
            priority: ``urgent``, ``high``, ``normal`` or ``low`` (any other word is an error,
                also in ``--dryrun``: the hub would silently treat it as normal).
            metadata: more metadata (a dict).
            max_retries: which failure dead-letters the task (3: the third; see *Retries*
                above).
            complete_by: deadline relative to now; the hub reclaims the task when it passes.
            capabilities: more capabilities the task needs, besides the run's.

        Returns:
            The task id (``task-<16 hex>``).

        Example:
        | ${task} = | `Submit Task` | Say hello | priority=urgent |
        | ${task} = | `Submit Task` | Three attempts, two retries | max_retries=3 |
        """
        priority = Priority.from_word(priority).word
        body = self._task_body(
            description, priority, metadata, max_retries, complete_by, capabilities
        )
        test = self.ctx.test
        test.attempted += 1
        answer = self.client.submit_task(body)
        task_id = answer["task_id"]
        test.submitted.append(task_id)
        self.debug(f"Submitted {task_id} ({priority}): {description}")
        return task_id

    @keyword(tags=["Task"])
    def submit_tasks(
        self,
        count: int,
        description: str = "Task {n}",
        priority: str = "normal",
        concurrency: int = 1,
        metadata: dict | None = None,
        max_retries: int = 3,
        complete_by: timedelta | None = None,
        capabilities: list[str] | None = None,
    ) -> list[str]:
        """Submits ``count`` tasks and returns their ids in submission order.

        Every task is a `Submit Task` with the same ``metadata``, ``max_retries``,
        ``complete_by`` (counted from each task's own submission) and ``capabilities``;
        see there what ``max_retries`` means and who gets a retried task.

        Args:
            count: how many tasks.
            description: ``{n}`` becomes 1..count and ``{priority}`` the priority.
            priority: one level (``low``); a cycle (``urgent, low``: urgent, low, urgent,
                ...); or counts per level (``urgent:4, high:4, normal:8, low:4``, which
                must add up to ``count``), submitted interleaved (urgent, high, normal,
                low, urgent, ...) so that submission order is not priority order.
            concurrency: how many submitters post at the same time (each its own keep-alive
                connection); the ids still come back in the planned order. For thousands of
                tasks use 2-4: 5,000 tasks took 1.3-1.6 s on the embedded hub, against
                4.4 s one at a time.
            metadata: more metadata of every task (a dict).
            max_retries: which failure dead-letters a task (3: the third; see `Submit Task`).
            complete_by: each task's deadline, relative to its submission.
            capabilities: more capabilities every task needs, besides the run's.

        Returns:
            The list of task ids.

        Example:
        | @{tasks} = | `Submit Tasks` | 20 | priority=urgent:5, high:5, normal:5, low:5 |
        | @{tasks} = | `Submit Tasks` | 10000 | Load task {n} | concurrency=4 |
        | @{tasks} = | `Submit Tasks` | 3 | Retry me {n} | max_retries=5 |
        """
        levels = priority_plan(count, priority)
        texts = [
            description.replace("{n}", str(n)).replace("{priority}", level)
            for n, level in enumerate(levels, start=1)
        ]
        options = TaskOptions(metadata, max_retries, complete_by, capabilities)
        if concurrency > 1:
            ids = self._submit_concurrently(texts, levels, concurrency, options)
        else:
            ids = [
                self.submit_task(text, level, *options)
                for text, level in zip(texts, levels, strict=True)
            ]
        self.info(f"Submitted {plural(count, 'task')} ({_count_summary(levels)}): {id_list(ids)}")
        return ids

    def _submit_concurrently(
        self, texts: list[str], levels: list[str], concurrency: int, options: TaskOptions
    ) -> list[str]:
        """`Submit Task` with ``options`` from ``concurrency`` threads, each with its own
        keep-alive connection (see ``hubapi.bulk``); the first error is raised after every
        task was tried, and the ones the hub acknowledged still count as submitted."""
        test = self.ctx.test
        bodies = [self._task_body(t, lv, *options) for t, lv in zip(texts, levels, strict=True)]
        test.attempted += len(bodies)
        results = in_parallel(self.client, _submit, bodies, concurrency)
        test.submitted.extend(r for r in results if isinstance(r, str))
        error = first_error(results)
        if error is not None:
            raise error
        return results  # type: ignore[return-value]  (no exception among them)

    def _task_body(
        self,
        description: str,
        priority: str,
        metadata: dict | None = None,
        max_retries: int = 3,
        complete_by: timedelta | None = None,
        capabilities: list[str] | None = None,
    ) -> dict:
        """The ``POST /api/tasks`` body of a task of this run: it needs the run's capability
        and carries the run id in its metadata; ``complete_by`` counts from now."""
        session = self.session
        body = {
            "description": description,
            "priority": priority,
            "metadata": {**(metadata or {}), "smoke_run": session.run_id},
            "max_retries": max_retries,
            "needed_capabilities": [session.capability, *(capabilities or [])],
        }
        if complete_by is not None:
            body["complete_by"] = now_ms() + round(complete_by.total_seconds() * 1000)
        return body

    # -- reading ---------------------------------------------------------------------------

    @keyword(tags=["Task"])
    def get_task(self, task_id: str) -> dict:
        """Returns the hub's record of the task (``GET /api/tasks/<id>``).

        Args:
            task_id: the task.

        Returns:
            The task as a dict with the hub's keys:

        | =Key= | =Value= |
        | ``id`` | the task id (``task-<16 hex>``) |
        | ``description``, ``metadata`` | as submitted (``metadata`` holds ``smoke_run``) |
        | ``priority`` | 0 urgent, 1 high, 2 normal, 3 low |
        | ``status`` | ``queued``, ``assigned``, ``completed`` or ``dead_letter`` |
        | ``assigned_to``, ``assigned_at`` | its holder's agent id and since when (ms) |
        | ``generation`` | one more at every assignment, reclaim and retry (first assignment: 1) |
        | ``retry_count``, ``max_retries`` | failures so far; how many lead to the dead letter |
        | ``needed_capabilities`` | what an agent must declare to get it |
        | ``last_error`` | the last failure reported |
        | ``result``, ``tokens_used`` | what the completing agent reported |
        | ``complete_by`` | a deadline in ms, or None |
        | ``submitted_by``, ``created_at``, ``updated_at`` | who submitted it; times in ms |
        | ``history`` | events, *newest first*, up to 50 (see `Task History Should Be`) |

        To check one key, `Get Task Field` takes an assertion operator.

        Example:
        | ${task} = | `Get Task` | ${id} |
        | Should Be Equal | ${task}[status] | completed |
        """
        return dict(self.client.get_task(task_id).raw)

    @keyword(tags=["Task"])
    def get_submitted_tasks(self) -> list[str]:
        """Returns the ids of the tasks submitted in this test, in submission order.

        Returns:
            A list of task ids (only submissions the hub acknowledged).

        Example:
        | ${tasks} = | `Get Submitted Tasks` |
        """
        return list(self.ctx.test.submitted)

    @keyword(tags=["Task"])
    def get_dead_letter_tasks(self) -> list[dict]:
        """Returns this run's tasks in the dead-letter store.

        Returns:
            A list of task dicts (tasks of other runs on a shared hub are left out).

        Example:
        | @{dead} = | `Get Dead Letter Tasks` |
        """
        run = self.session.run_id
        return [dict(t.raw) for t in self.client.dead_letter_tasks() if t.run_id == run]

    @keyword(tags=["Task"])
    def retry_dead_letter_task(self, task_id: str) -> dict:
        """Puts a dead-letter task back in the queue.

        Args:
            task_id: the task.

        Returns:
            The hub's answer: ``{"status": "requeued", "task_id": ..., "priority": ...}``.

        Example:
        | `Retry Dead Letter Task` | ${task} |
        """
        return self.client.retry_task(task_id)

    @keyword(tags=["Agent"])
    def get_agent_state(self, name: str) -> dict:
        """Returns the hub's state record of the agent (``GET /api/agents/<id>/state``).

        Args:
            name: short name of the agent.

        Returns:
            A dict with ``fsm_state``, ``current_task_id``, ``flags``, ...

        Example:
        | ${state} = | `Get Agent State` | slowpoke |
        | Should Be Equal | ${state}[fsm_state] | idle |
        """
        return self.client.agent_state(self.agent(name).agent_id)

    # -- waiting ---------------------------------------------------------------------------

    @keyword(tags=["Wait", "Task"])
    def wait_until_task_is_completed(
        self, task_id: str, timeout: Timeout = None, message: Message = None
    ) -> dict:
        """Waits until the hub reports the task ``completed``; fails at once if it is
        dead-lettered.

        Args:
            task_id: the task.
            timeout: how long to wait; default: the library's ``timeout`` (see `Timeouts`).
            message: a failure message to use instead of the library's own.

        Returns:
            The completed task (a dict, as `Get Task` returns it).

        Example:
        | `Wait Until Task Is Completed` | ${task} | timeout=10s |
        """
        return self.wait_until_tasks_are_completed([task_id], timeout, message)[0]

    @keyword(tags=["Wait", "Task"])
    def wait_until_tasks_are_completed(
        self, task_ids: list[str], timeout: Timeout = None, message: Message = None
    ) -> list[dict]:
        """Waits until the hub reports every task ``completed``.

        Fails at once when one is dead-lettered. On timeout the failure lists the
        unfinished tasks and, if that is what happened, says the queue stalled: tasks
        queued while agents that could take them were idle. Before it returns, the agents
        that completed the tasks are given a moment to receive the hub's acks (see
        `Timeouts`), so the checks that follow count them.

        Args:
            task_ids: the tasks.
            timeout: how long to wait; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Returns:
            The completed tasks (dicts), in the order given.

        Example:
        | `Wait Until Tasks Are Completed` | ${tasks} | timeout=1 min |
        """
        seconds = self.wait_timeout(timeout)
        ids = list(dict.fromkeys(task_ids))

        def never_completes(latest: dict[str, TaskRecord | None], left: list[str]) -> None:
            for task_id in left:
                task = latest.get(task_id)
                if task is not None and task.dead_lettered:
                    raise AgentComAssertion(
                        f"Task {task_id} will never complete: it is in the dead letter "
                        f"(last error: {task.last_error!r}).\n"
                        + task_table({task_id: task}, self.ctx.agent_names())
                    )

        latest = self._wait_on_tasks(
            ids,
            ready=lambda task: task.completed,
            enough=lambda left: not left,
            headline=lambda left: (
                f"{plural(len(left), 'task')} of {len(task_ids)} not completed {within(seconds)}"
            ),
            what=f"{plural(len(ids), 'task')} completed",
            timeout=seconds,
            message=message,
            check=never_completes,
        )
        self._settle_acks(latest.values())
        return [dict(latest[t].raw) for t in task_ids]  # type: ignore[union-attr]

    @keyword(tags=["Wait", "Task"])
    def wait_until_some_tasks_are_completed(
        self, task_ids: list[str], count: int, timeout: Timeout = None, message: Message = None
    ) -> list[str]:
        """Waits until at least ``count`` of the tasks are ``completed``.

        Args:
            task_ids: the tasks.
            count: how many of them must be completed.
            timeout: how long to wait; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Returns:
            The ids of the completed tasks, in the order given.

        Example:
        | ${done} = | `Wait Until Some Tasks Are Completed` | ${tasks} | count=4 |
        """
        seconds = self.wait_timeout(timeout)
        ids = list(dict.fromkeys(task_ids))
        if count > len(ids):
            raise ValueError(f"Cannot wait for {count} completed tasks out of {len(ids)}.")
        latest = self._wait_on_tasks(
            ids,
            ready=lambda task: task.completed,
            enough=lambda left: len(ids) - len(left) >= count,
            headline=lambda left: (
                f"{len(ids) - len(left)} of {len(ids)} tasks completed {within(seconds)}, "
                f"expected at least {count}"
            ),
            what=f"{count} of {len(ids)} tasks completed",
            timeout=seconds,
            message=message,
        )
        completed = [t for t in ids if (task := latest.get(t)) is not None and task.completed]
        self._settle_acks(latest[t] for t in completed)
        return completed

    @keyword(tags=["Wait", "Task"])
    def wait_until_tasks_are_finished(
        self,
        task_ids: list[str] | None = None,
        timeout: Timeout = None,
        message: Message = None,
        stall: timedelta | None = None,
    ) -> list[dict]:
        """Waits until the hub reports every task ``completed`` or ``dead_letter``: nothing
        left queued or assigned.

        Unlike `Wait Until Tasks Are Completed` a dead-lettered task is finished, not a
        failure: for scenarios where agents fail tasks on purpose. On timeout the failure
        lists the unfinished tasks (and says when the queue stalled).

        With ``stall`` it fails sooner, as soon as none of the unfinished tasks has changed
        (status, agent, generation, retries, last update) for that long: give it a little
        more than the longest hub timer that could still move a task (acceptance timeout,
        ping timeout and its sweep), and a stranded task fails the wait without waiting
        out ``timeout``.

        Args:
            task_ids: the tasks; default: every task submitted in this test.
            timeout: how long to wait; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.
            stall: fail once no unfinished task has changed for this long; default: only
                ``timeout`` counts.

        Returns:
            The finished tasks (dicts), in the order given.

        Example:
        | `Wait Until Tasks Are Finished` | timeout=20s | |
        | `Wait Until Tasks Are Finished` | ${tasks} | timeout=1 min |
        | `Wait Until Tasks Are Finished` | timeout=10s | stall=2.5s |
        """
        seconds = self.wait_timeout(timeout)
        ids = list(dict.fromkeys(self.ctx.test.submitted if task_ids is None else task_ids))
        quiet = _Stall(None if stall is None else stall.total_seconds())

        def headline(left: list[str]) -> str:
            return (
                f"{plural(len(left), 'task')} of {len(ids)} not finished (completed or dead "
                f"letter) {within(seconds)}"
            )

        def stalled(latest: dict[str, TaskRecord | None], left: list[str]) -> None:
            if left and quiet.stalled({t: _progress(latest.get(t)) for t in left}):
                text = self._unfinished(headline(left), {t: latest.get(t) for t in left})
                raise AgentComAssertion(
                    message
                    or text.replace(
                        within(seconds), f"and none changed for {secs_to_timestr(quiet.limit)}"
                    )
                )

        latest = self._wait_on_tasks(
            ids,
            ready=lambda task: task.completed or task.dead_lettered,
            enough=lambda left: not left,
            headline=headline,
            what=f"{plural(len(ids), 'task')} finished",
            timeout=seconds,
            message=message,
            check=stalled,
        )
        self._settle_acks(latest.values())
        return [dict(task.raw) for t in ids if (task := latest.get(t)) is not None]

    @keyword(tags=["Wait", "Task"])
    def wait_until_task_is_assigned(
        self,
        task_id: str,
        agent: str | None = None,
        timeout: Timeout = None,
        message: Message = None,
    ) -> dict:
        """Waits until the task is assigned (to ``agent`` when given).

        Also passes when the task has already gone past that assignment (completed).

        Args:
            task_id: the task.
            agent: short name of the agent it must be assigned to; any agent when left out.
            timeout: how long to wait; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Returns:
            The task (a dict, as `Get Task` returns it).

        Example:
        | `Wait Until Task Is Assigned` | ${task} | agent=victim |
        """
        seconds = self.wait_timeout(timeout)
        agent_id = self.agent(agent).agent_id if agent else None

        def attempt() -> Outcome[TaskRecord]:
            self._fail_on_foreign_tasks()
            task = self._known_task(task_id)
            ok = task.status in ("assigned", "completed") and (
                agent_id is None or task.last_assignee == agent_id
            )
            return Outcome(ok, task, task)

        def failure(outcome: Outcome[TaskRecord]) -> str:
            whom = f"to '{agent}'" if agent else "to any agent"
            return f"Task {task_id} was not assigned {whom} {within(seconds)}:\n" + task_table(
                {task_id: outcome.value}, self.ctx.agent_names()
            )

        return self._settled(self.wait(attempt, seconds, failure, message, f"{task_id} assigned"))

    @keyword(tags=["Wait", "Task"])
    def wait_until_task_status_is(
        self, task_id: str, status: TaskStatus, timeout: Timeout = None, message: Message = None
    ) -> dict:
        """Waits until the hub reports the task in ``status``.

        Args:
            task_id: the task.
            status: ``queued``, ``assigned``, ``completed`` or ``dead_letter``.
            timeout: how long to wait; default: the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Returns:
            The task (a dict, as `Get Task` returns it).

        Example:
        | `Wait Until Task Status Is` | ${task} | dead_letter |
        """
        seconds = self.wait_timeout(timeout)

        def attempt() -> Outcome[TaskRecord]:
            self._fail_on_foreign_tasks()
            task = self._known_task(task_id)
            return Outcome(task.status == status, task, task)

        def failure(outcome: Outcome[TaskRecord]) -> str:
            task = outcome.value
            return (
                f"Task {task_id} did not reach status '{status}' {within(seconds)} "
                f"(status is '{task.status if task else None}'):\n"
                + task_table({task_id: task}, self.ctx.agent_names())
            )

        return self._settled(self.wait(attempt, seconds, failure, message, f"{task_id} {status}"))

    @keyword(tags=["Wait", "Task"])
    def wait_until_task_is_reclaimed(
        self, task_id: str, since: int, timeout: Timeout = None, message: Message = None
    ) -> int:
        """Waits until the hub's history shows the task ``reclaimed`` at or after ``since``
        (Unix ms, e.g. what `Partition Agent Host` returned) and returns how long after
        ``since`` that was; fails if it is not within ``timeout`` of ``since``.

        Args:
            task_id: the task.
            since: the start of the window, Unix ms.
            timeout: the longest acceptable time from ``since`` to the reclaim; default:
                the library's ``timeout``.
            message: a failure message to use instead of the library's own.

        Returns:
            Milliseconds from ``since`` to the reclaim.

        Example:
        | ${ms} = | `Wait Until Task Is Reclaimed` | ${task} | ${cut} | timeout=5s |
        """
        limit = self.wait_timeout(timeout)
        names = self.ctx.agent_names()

        def attempt() -> Outcome[int]:
            task = self.client.get_task(task_id)
            reclaims = [e for e in task.events_named("reclaimed") if (e.timestamp or 0) >= since]
            took = (reclaims[0].timestamp or 0) - since if reclaims else None
            return Outcome(took is not None, took, task)

        def failure(outcome: Outcome[int]) -> str:
            task = outcome.state
            seen = " > ".join(e.describe(names) for e in task.events) or "none"
            holder = names.get(task.assigned_to or "", task.assigned_to)
            return (
                f"Task {task_id} should have been reclaimed {within(limit)} of {since}, but it "
                f"was not reclaimed (status {task.status}, assigned to {holder}); history: "
                f"{seen}."
            )

        remaining = max(0.0, limit - (now_ms() - since) / 1000)
        took = self.wait(attempt, remaining, failure, message, f"{task_id} reclaimed")
        assert took is not None
        if took > limit * 1000:  # the reclaim came, but later than the window allows
            raise AssertionError(
                message
                or f"Task {task_id} should have been reclaimed {within(limit)} of {since}, but "
                f"it took {human_ms(took)}."
            )
        return took

    # -- helpers ---------------------------------------------------------------------------

    def _wait_on_tasks(
        self,
        ids: list[str],
        *,
        ready: Callable[[TaskRecord], bool],
        enough: Callable[[list[str]], bool],
        headline: Callable[[list[str]], str],
        what: str,
        timeout: float,
        message: str | None,
        check: Callable[[dict[str, TaskRecord | None], list[str]], None] | None = None,
    ) -> dict[str, TaskRecord | None]:
        """The one wait of the task-set waits: read the records of the tasks not ``ready``
        yet until ``enough(left)`` holds for those left; ``check`` may fail sooner. The
        failure is ``headline(left)`` and the table of those left (with the diagnosis).
        Returns the latest record of every task read (None: the hub does not know it)."""
        latest: dict[str, TaskRecord | None] = {}

        def left() -> list[str]:
            return [t for t in ids if (task := latest.get(t)) is None or not ready(task)]

        def attempt() -> Outcome:
            self._fail_on_foreign_tasks()
            latest.update(_known(self.ctx.tasks(left())))
            if check is not None:
                check(latest, left())
            return Outcome(enough(left()))

        def failure(_: Outcome) -> str:
            rest = left()
            return self._unfinished(headline(rest), {t: latest.get(t) for t in rest})

        self.wait(attempt, timeout, failure, message, what)
        return latest

    def _settle_acks(self, tasks: Iterable[TaskRecord | None]) -> None:
        """The hub records a completion before it sends the ack: let the completing agents
        receive their acks, so counts read right after a wait are complete."""
        missing = self.wait_for_acks(
            {task.id: task.completed_by for task in tasks if task is not None and task.completed}
        )
        if missing:
            self.info(
                f"The hub shows {id_list(missing)} completed, but the completing agent has not "
                f"received the ack {within(self.ack_grace())}."
            )

    def _settled(self, task: TaskRecord | None) -> dict:
        """What a one-task wait returns: the task as a dict, once its completing agent (if
        it is completed) has had its ack."""
        assert task is not None
        self._settle_acks([task])
        return dict(task.raw)

    def _known_task(self, task_id: str) -> TaskRecord:
        """The hub's record of the task; an unknown id fails the wait at once."""
        try:
            return self.client.get_task(task_id)
        except HubRequestError as error:
            if error.status == 404:
                _known({task_id: None})
            raise

    def _fail_on_foreign_tasks(self) -> None:
        message = self.ctx.foreign_failure()
        if message:
            raise AgentComAssertion(message)

    def _unfinished(self, headline: str, unfinished: dict[str, TaskRecord | None]) -> str:
        """``headline:`` and the table of the unfinished tasks, after the diagnosis of why
        they are not done when the hub's state tells."""
        text = f"{headline}:\n{task_table(unfinished, self.ctx.agent_names())}"
        diagnosis = self._diagnosis(unfinished)
        return f"{diagnosis}\n{text}" if diagnosis else text

    def _diagnosis(self, unfinished: dict[str, TaskRecord | None]) -> str:
        """Why the tasks are not done, when the hub's state says so: a stalled queue, a
        task held by an agent that is gone, an assignment the agent never received."""
        notes = [self._stall_note(unfinished), *self._assignment_notes(unfinished)]
        return "\n".join(note for note in notes if note)

    def _assignment_notes(self, unfinished: dict[str, TaskRecord | None]) -> list[str]:
        agents = {agent.agent_id: agent for agent in self.ctx.agents.all()}
        states = self._states_by_agent(unfinished)
        notes = []
        for task_id, task in unfinished.items():
            if not task or task.status != "assigned" or task.assigned_to is None:
                continue
            agent = agents.get(task.assigned_to)
            if agent is None:
                continue
            if not agent.connected:
                notes.append(
                    f"{task_id} is still assigned to '{agent.name}', whose connection is gone: "
                    "the hub did not take the task back"
                )
            elif rejected := _rejection(agent, task_id):
                notes.append(_rejection_note(task, agent.name, rejected))
            elif task_id not in agent.received_ids(0):
                notes.append(
                    f"{task_id} is assigned to '{agent.name}' (generation "
                    f"{task.generation}), but '{agent.name}' never received it: "
                    "the assignment was recorded but not delivered"
                )
            elif note := self._orphan_note(task, agent.name, states):
                notes.append(note)
        return notes

    def _orphan_note(self, task: TaskRecord, name: str, states: dict[str, dict] | None) -> str:
        """A note when the hub's own state of the agent a task is assigned to names another
        task, or none: then nothing on the hub will ever hand the task on (until a stuck
        sweep), although the agent is connected."""
        state = (states or {}).get(task.assigned_to or "")
        if state is None:
            return ""
        current = state.get("current_task_id")
        if current == task.id:
            return ""
        holds = f"holds task {current}" if current else f"holds no task ({state.get('fsm_state')})"
        return (
            f"{task.id} is assigned to '{name}' (generation {task.generation}), but the hub's "
            f"own state of '{name}' {holds}: nothing on the hub will hand {task.id} on"
        )

    def _states_by_agent(self, unfinished: dict[str, TaskRecord | None]) -> dict[str, dict] | None:
        """The hub's agent states by agent id, read once when a task is still assigned
        (None when there is none, or the hub does not answer)."""
        if not any(task and task.status == "assigned" for task in unfinished.values()):
            return None
        try:
            return {
                str(s.get("agent_id")): s for s in self.client.agent_states() if isinstance(s, dict)
            }
        except HubError:
            return None

    def _stall_note(self, unfinished: dict[str, TaskRecord | None]) -> str:
        queued = [task for task in unfinished.values() if task and task.status == "queued"]
        if not queued:
            return ""
        try:
            states = self.client.agent_states()
        except HubError as error:
            return f"({plural(len(queued), 'task')} queued; agent states unavailable: {error})"
        names = self.ctx.agent_names()
        # an idle agent only stalls the queue if it could take one of the queued tasks
        needs = [{self.session.capability, *task.needed_capabilities} for task in queued]
        idle = [
            short_agent(s.get("agent_id"), names)
            for s in states
            if s.get("fsm_state") == "idle"
            and any(need <= set(_capability_names(s)) for need in needs)
        ]
        if not idle:
            return ""
        verb = "was" if len(idle) == 1 else "were"
        return (
            f"queue stalled: {plural(len(queued), 'task')} queued while "
            f"{plural(len(idle), 'agent')} {verb} idle ({', '.join(idle)})"
        )


def _known(found: dict[str, TaskRecord | None]) -> dict[str, TaskRecord | None]:
    """``found`` when the hub knows every task; a wait on an id it does not know can never
    end well, so it fails at once instead of at its timeout."""
    missing = [task_id for task_id, task in found.items() if task is None]
    if missing:
        raise AgentComAssertion(
            f"The hub does not know {plural(len(missing), 'task')} (404): {id_list(missing)}; "
            "waiting cannot help. Wait on the ids that Submit Task returned."
        )
    return found


def priority_plan(count: int, spec: str) -> list[str]:
    """The priority of each of ``count`` tasks from ``low`` / ``urgent, low`` /
    ``urgent:4, low:4`` (see `Submit Tasks`)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()] or ["normal"]
    if not any(":" in p for p in parts):
        return [parts[i % len(parts)] for i in range(count)]
    counts: dict[str, int] = {}
    for part in parts:
        level, _, number = part.partition(":")
        try:
            counts[level.strip()] = counts.get(level.strip(), 0) + int(number)
        except ValueError:
            raise ValueError(f"Priority counts must look like 'urgent:4', got '{part}'.") from None
    if sum(counts.values()) != count:
        raise ValueError(
            f"Priority counts '{spec}' add up to {sum(counts.values())}, but count is {count}."
        )
    plan: list[str] = []
    left = dict(counts)
    while any(left.values()):
        for level in counts:
            if left[level]:
                plan.append(level)
                left[level] -= 1
    return plan


def _submit(client: HubClient, body: dict) -> str:
    return client.submit_task(body)["task_id"]


def _count_summary(levels: list[str]) -> str:
    order = sorted(set(levels), key=Priority.level_of)
    return ", ".join(f"{levels.count(p)} {p}" for p in order)


def _capability_names(state: dict) -> list[str]:
    return [c.get("name") if isinstance(c, dict) else c for c in state.get("capabilities") or []]


def _rejection_note(task: TaskRecord, name: str, line: str) -> str:
    """Why a task a sidecar turned down as busy is stuck: it held another task (the race
    of contract rule 'one-task-per-agent') or this very task, from an earlier assignment."""
    where = f"{task.id} is assigned to '{name}' (generation {task.generation}), which"
    if f'"active_task_id":"{task.id}"' in line:
        return (
            f"{where} received it again while it still worked on it from an earlier "
            f"assignment, and turned it down as busy (its log: {line})"
        )
    return (
        f"{where} received it while it still held another task and turned it down "
        f"(contract rule 'one-task-per-agent'; its log: {line})"
    )


def _rejection(agent: object, task_id: str) -> str | None:
    """A sidecar's log line turning the assignment of ``task_id`` down (busy), if any."""
    rejection_of = getattr(agent, "rejection_of", None)
    return rejection_of(task_id) if rejection_of is not None else None


def _progress(task: TaskRecord | None) -> tuple:
    """What changes when a task moves on (for `Wait Until Tasks Are Finished`'s stall)."""
    if task is None:
        return ()
    return (
        task.status,
        task.assigned_to,
        task.generation,
        task.retry_count,
        task.updated_at,
        len(task.events),
    )


class _Stall:
    """Whether what a wait watches has stayed the same for ``limit`` seconds (None: never)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit or 0.0
        self.seen: object = None
        self.since = time.monotonic()

    def stalled(self, state: object) -> bool:
        now = time.monotonic()
        if state != self.seen:
            self.seen, self.since = state, now
            return False
        return bool(self.limit) and now - self.since >= self.limit
