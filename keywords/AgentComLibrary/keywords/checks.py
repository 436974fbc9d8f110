"""Checks: computed from hub records, cross-checked with what the agents saw."""

from __future__ import annotations

import itertools
import statistics

from robotlibcore import keyword

from ..agents.simulated import AgentHandle
from ..checker.ledger import build_ledger, describe_ledger_problems
from ..hubapi.task_record import TaskRecord
from ..report.ledger_html import render_ledger_html
from ..report.task_text import task_table
from ..util.choices import Priority, TaskStatus
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, short_agent
from ..util.timeutil import human_ms
from .base import LibraryComponent, fail_listing


class CheckKeywords(LibraryComponent):
    # -- one task --------------------------------------------------------------------------

    @keyword(tags=["Check", "Task"])
    def task_should_be_completed(self, task_id: str) -> None:
        """Fails unless the hub reports the task ``completed`` and the agent that completed
        it (its last assignment) received the hub's ``task_ack`` ``complete``.

        Args:
            task_id: the task.

        Example:
        | `Task Should Be Completed` | ${task} |
        """
        task = self._completed_task(task_id)
        self._acknowledged_by(task, task.last_assignee)
        self.info(f"{task_id} completed by {self._name(task.last_assignee)}.")

    @keyword(tags=["Check", "Task"])
    def task_should_be_completed_exactly_once(self, task_id: str) -> None:
        """Fails unless the task is completed, its hub history has exactly one
        ``completed`` event, and exactly one completion of it was acknowledged to the
        agents of this test.

        Args:
            task_id: the task.

        Example:
        | `Task Should Be Completed Exactly Once` | ${task} |
        """
        task = self._completed_task(task_id)
        completer = task.last_assignee
        events = task.count("completed")
        if events != 1:
            raise AgentComAssertion(
                f"Task {task_id} should have been completed exactly once, but its hub history "
                f"has {events} 'completed' events:\n{self._table({task_id: task})}"
            )
        self._acknowledged_by(task, completer)
        acks = {
            agent.name: agent.completed_ids(self.ctx.test.mark).count(task_id)
            for agent in self.ctx.agents.all()
        }
        total = sum(acks.values())
        # A completion by a connection that is not one of the test's agents (a contract
        # probe, a real agent) is acknowledged to nobody the library watches.
        expected = 1 if self.agents_by_id(completer) else 0
        if total != expected:
            seen = ", ".join(f"{name}: {n}" for name, n in acks.items() if n) or "none"
            raise AgentComAssertion(
                f"Task {task_id} should have been completed exactly once, by "
                f"'{self._name(completer)}', but the hub acknowledged {total} completions of "
                f"it to the test's agents ({seen})."
            )
        self.info(f"{task_id} completed exactly once, by {self._name(completer)}.")

    @keyword(tags=["Check", "Task"])
    def task_should_be_completed_by(self, task_id: str, agent: str) -> None:
        """Fails unless the task is completed and ``agent`` completed it (hub: its last
        assignment; agent: a ``task_ack`` ``complete`` received).

        Args:
            task_id: the task.
            agent: short name of the agent.

        Example:
        | `Task Should Be Completed By` | ${task} | survivor |
        """
        expected = self.agent(agent)
        task = self._completed_task(task_id)
        completer = task.last_assignee
        if completer != expected.agent_id:
            raise AgentComAssertion(
                f"Task {task_id} should have been completed by '{agent}', but the hub says "
                f"'{self._name(completer)}' completed it.\n{self._table({task_id: task})}"
            )
        self._acknowledged_by(task, completer)
        self.info(f"{task_id} completed by {agent}.")

    @keyword(tags=["Check", "Task"])
    def task_status_should_be(self, task_id: str, status: TaskStatus) -> None:
        """Fails unless the hub reports the task in ``status`` now (no waiting; see
        `Wait Until Task Status Is`).

        Args:
            task_id: the task.
            status: ``queued``, ``assigned``, ``completed`` or ``dead_letter``.

        Example:
        | `Task Status Should Be` | ${task} | assigned |
        """
        task = self._task(task_id)
        if task.status != status:
            raise AgentComAssertion(
                f"Task {task_id} should be '{status}', but it is '{task.status}' (agent "
                f"{self._name(task.assigned_to)}, generation {task.generation}).\n"
                + self._table({task_id: task})
            )
        self.info(f"{task_id} is {status}.")

    @keyword(tags=["Check", "Task"])
    def task_should_be_in_dead_letter(self, task_id: str) -> None:
        """Fails unless the task is ``dead_letter`` with its ``last_error`` set and is listed
        by ``GET /api/tasks/dead-letter``.

        Args:
            task_id: the task.

        Example:
        | `Task Should Be In Dead Letter` | ${task} |
        """
        task = self._task(task_id)
        listed = any(t.id == task_id for t in self.client.dead_letter_tasks())
        problems = []
        if task.status != "dead_letter":
            problems.append(f"its status is '{task.status}'")
        if not task.last_error:
            problems.append("it has no last_error")
        if not listed:
            problems.append("GET /api/tasks/dead-letter does not list it")
        if problems:
            raise AgentComAssertion(
                f"Task {task_id} should be in the dead letter, but {', '.join(problems)}.\n"
                + self._table({task_id: task})
            )
        self.info(f"{task_id} is in the dead letter (last error {task.last_error!r}).")

    @keyword(tags=["Check", "Task"])
    def task_history_should_be(self, task_id: str, *events: str) -> None:
        """Fails unless the task's hub history, oldest first, is exactly ``events``.

        An item ``assigned to victim`` matches an ``assigned`` event for that agent; a
        bare ``assigned`` matches any agent. The events the hub records:

        | =Event= | =When= |
        | ``queued`` | submitted, or put back from the dead letter (`Retry Dead Letter Task`) |
        | ``assigned to <agent>`` | the scheduler hands the task to that agent |
        | ``reclaimed`` | taken back: connection lost, acceptance timeout, stuck, overdue |
        | ``retry`` | its agent reported a failure and retries are left: queued again |
        | ``dead_letter`` | its agent reported a failure and no retry is left |
        | ``completed`` | the hub accepted a completion |

        A task that failed once and then succeeded reads ``queued``, ``assigned to w``,
        ``retry``, ``assigned to w``, ``completed``. The hub keeps the newest 50 events.

        Args:
            task_id: the task.
            events: the expected events, oldest first.

        Example:
        | `Task History Should Be` | ${task} | queued | assigned to victim | reclaimed |
        | ... | assigned to survivor | completed |
        """
        task = self._task(task_id)
        actual = task.describe_history(self.ctx.agent_names())
        expected = [" ".join(e.split()) for e in events]
        if len(actual) != len(expected) or not all(
            _event_matches(want, seen) for want, seen in zip(expected, actual, strict=True)
        ):
            raise AgentComAssertion(
                f"Task {task_id} history should be:\n    {' > '.join(expected)}\n"
                f"but the hub recorded:\n    {' > '.join(actual)}"
            )
        self.info(f"{task_id} history: {' > '.join(actual)}")

    # -- many tasks ------------------------------------------------------------------------

    @keyword(tags=["Check", "Task"])
    def tokens_used_should_be_below(self, task_ids: list[str], limit: int) -> None:
        """Fails unless every task's ``tokens_used`` is below ``limit``; a completed task
        whose agent reported no ``tokens_used`` fails it too (it proves nothing).

        Tasks not completed are left out of the check (wait for them first).

        Args:
            task_ids: the tasks.
            limit: the token limit, e.g. ``500``.

        Example:
        | `Tokens Used Should Be Below` | ${tasks} | 500 |
        """
        tasks = self.known_tasks(task_ids)
        names = self.ctx.agent_names()
        rows, over, missing = [], 0, 0
        for task_id, task in tasks.items():
            agent = short_agent(task.last_assignee, names)
            if task.completed and task.tokens_used is None:
                missing += 1
                rows.append([task_id, "not reported", agent])
            elif (task.tokens_used or 0) >= limit:
                over += 1
                rows.append([task_id, task.tokens_used, agent])
        problems = []
        if over:
            problems.append(f"{plural(over, 'task')} used more")
        if missing:
            problems.append(
                f"{plural(missing, 'completed task')} had no tokens_used (the agent did not "
                "report it, so the limit cannot be checked)"
            )
        fail_listing(
            f"Tokens used should be below {limit} for every task, but {'; '.join(problems)}",
            ["task", "tokens_used", "agent"],
            rows,
        )
        used = [t.tokens_used or 0 for t in tasks.values()]
        self.info(f"Tokens used by {plural(len(tasks), 'task')}: max {max(used, default=0)}.")

    @keyword(tags=["Check", "Agent"])
    def every_agent_should_have_completed_at_least_one_task(self) -> None:
        """Fails unless each agent of this test completed at least one of the tasks
        submitted in this test (hub records, cross-checked with the agents' acks).

        Example:
        | `Every Agent Should Have Completed At Least One Task` |
        """
        counts = self._completion_counts(self.ctx.test.submitted)
        idle = [name for name, ids in counts.items() if not ids]
        if idle:
            raise AgentComAssertion(
                f"Every agent should have completed at least one task, but "
                f"{id_list(repr(n) for n in idle)} completed none "
                f"(completed per agent: {_count_text(counts)})."
            )
        self.info(f"Completed per agent: {_count_text(counts)}")

    @keyword(tags=["Check", "Task"])
    def tasks_should_be_evenly_distributed(
        self, task_ids: list[str], tolerance: int = 2, agents: list[str] | str | None = None
    ) -> None:
        """Fails unless every agent of this test completed within ``tolerance`` of an equal
        share of the completed tasks (e.g. 20 tasks over 4 agents: 3 to 7 each).

        Args:
            task_ids: the tasks.
            tolerance: how far from the equal share an agent may be.
            agents: only these agents (a list or comma separated), those that could take
                the tasks; default: every agent of this test.

        Example:
        | `Tasks Should Be Evenly Distributed` | ${tasks} | tolerance=2 |
        | `Tasks Should Be Evenly Distributed` | ${tasks} | agents=spread-1, spread-2 |
        """
        counts = self._completion_counts(task_ids)
        if agents:
            names = agents.split(",") if isinstance(agents, str) else agents
            counts = {n.strip(): counts.get(n.strip(), []) for n in names if n.strip()}
        if not counts:
            raise AgentComAssertion("Tasks should be evenly distributed, but no agent is running.")
        total = sum(len(ids) for ids in counts.values())
        share = total / len(counts)
        off = {n: len(ids) for n, ids in counts.items() if abs(len(ids) - share) > tolerance}
        if off:
            raise AgentComAssertion(
                f"Tasks should be evenly distributed: {total} completed tasks over "
                f"{plural(len(counts), 'agent')} is {share:g} each, +/- {tolerance}, but "
                + ", ".join(f"'{n}' completed {c}" for n, c in off.items())
                + f" (completed per agent: {_count_text(counts)})."
            )
        self.info(f"Completed per agent (share {share:g} +/- {tolerance}): {_count_text(counts)}")

    @keyword(tags=["Check", "Task"])
    def no_priority_should_be_starved(self, task_ids: list[str]) -> None:
        """Fails unless, for every priority among the tasks, all its tasks are completed.

        Args:
            task_ids: the tasks.

        Example:
        | `No Priority Should Be Starved` | ${tasks} |
        """
        tasks = self.known_tasks(task_ids)
        by_level: dict[str, list[TaskRecord]] = {}
        for task in tasks.values():
            by_level.setdefault(task.priority_name, []).append(task)
        summary = {
            level: sum(t.completed for t in group)
            for level, group in sorted(by_level.items(), key=lambda kv: Priority.level_of(kv[0]))
        }
        text = ", ".join(f"{lvl} {n}/{len(by_level[lvl])}" for lvl, n in summary.items())
        starved = [lvl for lvl, n in summary.items() if n < len(by_level[lvl])]
        if starved:
            unfinished = {
                t.id: t for lvl in starved for t in by_level[lvl] if t.status != "completed"
            }
            raise AgentComAssertion(
                f"No priority should be starved, but {', '.join(starved)} "
                f"{'has' if len(starved) == 1 else 'have'} unfinished tasks "
                f"(completed: {text}):\n{self._table(unfinished)}"
            )
        self.info(f"Completed per priority: {text}")

    @keyword(tags=["Check", "Task"])
    def urgent_tasks_should_be_assigned_before_low_tasks_on_average(
        self, task_ids: list[str]
    ) -> None:
        """Fails unless urgent tasks were, on average, first assigned before low tasks.

        A single low task may go first; for the strict order use
        `Every Urgent Task Should Be Assigned Before Any Low Task`.

        Args:
            task_ids: the tasks (must include urgent and low ones).

        Example:
        | `Urgent Tasks Should Be Assigned Before Low Tasks On Average` | ${tasks} |
        """
        urgent, low, origin = self._urgent_and_low(task_ids)
        mean_urgent = statistics.mean(urgent.values())
        mean_low = statistics.mean(low.values())
        text = (
            f"urgent tasks were first assigned {human_ms(mean_urgent - origin)} and low tasks "
            f"{human_ms(mean_low - origin)} after the first submission, on average"
        )
        if mean_urgent >= mean_low:
            raise AgentComAssertion(
                f"Urgent tasks should be assigned before low tasks on average, but {text}."
            )
        self.info(text[0].upper() + text[1:] + ".")

    @keyword(tags=["Check", "Task"])
    def every_urgent_task_should_be_assigned_before_any_low_task(self, task_ids: list[str]) -> None:
        """Fails unless the last urgent task was first assigned no later than the first low task
        (strict; compare `Urgent Tasks Should Be Assigned Before Low Tasks On Average`).

        Args:
            task_ids: the tasks (must include urgent and low ones).

        Example:
        | `Every Urgent Task Should Be Assigned Before Any Low Task` | ${tasks} |
        """
        urgent, low, origin = self._urgent_and_low(task_ids)
        last_urgent = max(urgent, key=lambda t: urgent[t])
        first_low = min(low, key=lambda t: low[t])
        if urgent[last_urgent] > low[first_low]:
            early = [t for t in low if low[t] < urgent[last_urgent]]
            raise AgentComAssertion(
                f"Every urgent task should be assigned before any low task, but low task "
                f"{first_low} was assigned at +{human_ms(low[first_low] - origin)}, before urgent "
                f"task {last_urgent} at +{human_ms(urgent[last_urgent] - origin)} (times from "
                f"the first submission); low tasks assigned before the last urgent one: "
                f"{id_list(early)}."
            )
        self.info(
            f"All {len(urgent)} urgent tasks were assigned by "
            f"+{human_ms(urgent[last_urgent] - origin)}, the first of {len(low)} low tasks at "
            f"+{human_ms(low[first_low] - origin)}."
        )

    @keyword(tags=["Check", "Task"])
    def task_should_be_assigned_before(self, first: str, second: str) -> None:
        """Fails unless task ``first`` was first assigned before task ``second`` (hub
        timestamps; the same millisecond counts as before, the hub's clock being no finer).

        Passes when ``first`` was assigned and ``second`` never was. Reads the hub once
        (wait for the assignments first).

        Args:
            first: the task that should have been assigned first.
            second: the task that should have been assigned later.

        Example:
        | `Wait Until Tasks Are Completed` | ${{[$urgent, $low]}} | |
        | `Task Should Be Assigned Before` | ${urgent} | ${low} |
        """
        tasks = self.known_tasks([first, second])
        one, two = tasks[first], tasks[second]
        origin = min((t.created_at for t in (one, two) if t.created_at is not None), default=0)
        if one.first_assigned_at is None:
            raise AgentComAssertion(
                f"Task {first} should be assigned before task {second}, but {first} was never "
                f"assigned (status '{one.status}').\n{self._table(tasks)}"
            )
        if two.first_assigned_at is not None and two.first_assigned_at < one.first_assigned_at:
            raise AgentComAssertion(
                f"Task {first} should be assigned before task {second}, but {second} was "
                f"assigned at +{human_ms(two.first_assigned_at - origin)} (to "
                f"{self._name(two.first_assignee)}), before {first} at "
                f"+{human_ms(one.first_assigned_at - origin)} (to "
                f"{self._name(one.first_assignee)}); times from the first creation."
                f"\n{self._table(tasks)}"
            )
        when = (
            "was never assigned"
            if two.first_assigned_at is None
            else f"at +{human_ms(two.first_assigned_at - origin)}"
        )
        self.info(
            f"{first} was assigned at +{human_ms(one.first_assigned_at - origin)}, {second} {when}."
        )

    @keyword(tags=["Check", "Task"])
    def each_priority_should_be_assigned_oldest_first(self, task_ids: list[str]) -> None:
        """Fails unless, within each priority, tasks were first assigned in the order they
        were created (ties in ``created_at`` keep the order of ``task_ids``).

        Args:
            task_ids: the tasks, in submission order.

        Example:
        | `Each Priority Should Be Assigned Oldest First` | ${tasks} |
        """
        tasks = self.known_tasks(task_ids)
        order = {task_id: i for i, task_id in enumerate(task_ids)}
        by_level: dict[str, list[TaskRecord]] = {}
        for task in tasks.values():
            by_level.setdefault(task.priority_name, []).append(task)
        problems = []
        for level, group in sorted(by_level.items(), key=lambda kv: Priority.level_of(kv[0])):
            group.sort(key=lambda t: (t.created_at or 0, order[t.id]))
            self._require_assigned(group)
            for older, newer in itertools.pairwise(group):
                if newer.first_assigned_at < older.first_assigned_at:
                    problems.append(
                        f"{level}: {newer.id} (created {_ms_after(newer, older)} after "
                        f"{older.id}) was assigned "
                        f"{human_ms(older.first_assigned_at - newer.first_assigned_at)} "
                        "before it"
                    )
        if problems:
            raise AgentComAssertion(
                "Each priority should be assigned oldest first, but:\n- " + "\n- ".join(problems)
            )
        self.info(
            "Oldest first within "
            + ", ".join(f"{lvl} ({len(g)})" for lvl, g in by_level.items())
            + "."
        )

    # -- agents ----------------------------------------------------------------------------

    @keyword(tags=["Check", "Agent"])
    def completed_count_should_be(self, name: str, count: int) -> None:
        """Fails unless the hub acknowledged exactly ``count`` completions to the agent in
        this test, and the hub's records of this test's tasks agree.

        Args:
            name: short name of the agent.
            count: the expected number.

        Example:
        | `Completed Count Should Be` | victim | 0 |
        """
        agent = self.agent(name)
        by_hub = self._hub_completions(self.ctx.test.submitted).get(agent.agent_id, [])
        acked = self.ctx.completions(agent)
        if len(acked) != count:
            raise AgentComAssertion(
                f"Agent '{name}' should have completed {plural(count, 'task')} in this test "
                f"(acknowledged by the hub), but completed {len(acked)}: {id_list(acked)}."
            )
        if sorted(by_hub) != sorted(acked):
            raise AgentComAssertion(
                f"Agent '{name}' received completion acks for {id_list(acked)}, but the hub "
                f"records {id_list(by_hub)} as completed by it."
            )
        self.info(f"Agent '{name}' completed {plural(count, 'task')}: {id_list(acked)}")

    @keyword(tags=["Check", "Agent"])
    def total_completed_count_should_be(self, count: int) -> None:
        """Fails unless the hub acknowledged exactly ``count`` completions to all agents of
        this test together, and the hub records as many of this test's tasks as completed.

        Args:
            count: the expected number.

        Example:
        | `Total Completed Count Should Be` | 5 |
        """
        by_hub = self._hub_completions(self.ctx.test.submitted)
        per_agent = self.ctx.agent_completions()
        acked = sum(len(ids) for ids in per_agent.values())
        recorded = sum(len(ids) for ids in by_hub.values())
        text = ", ".join(f"{n}: {len(ids)}" for n, ids in per_agent.items()) or "no agents"
        if acked != count or recorded != count:
            raise AgentComAssertion(
                f"The agents of this test should have completed {plural(count, 'task')} in "
                f"total, but the hub acknowledged {acked} ({text}) and records {recorded} of "
                f"this test's {len(self.ctx.test.submitted)} tasks as completed."
            )
        self.info(f"{plural(count, 'task')} completed in total ({text}).")

    @keyword(tags=["Check", "Agent"])
    def every_assignment_should_have_reached_its_agent(self, task_ids: list[str]) -> None:
        """Fails unless every assignment in the tasks' hub histories (agent and generation)
        was received by that agent as a ``task_assign`` with that generation.

        Assignments to agents that are not part of this test are not judged.

        Args:
            task_ids: the tasks.

        Example:
        | `Every Assignment Should Have Reached Its Agent` | ${tasks} |
        """
        tasks = self.known_tasks(task_ids)
        agents = {a.agent_id: a for a in self.ctx.agents.all()}
        expected = [
            (task_id, agents[e.agent_id], e.generation, task.status)
            for task_id, task in tasks.items()
            for e in task.assignments
            if e.agent_id in agents
        ]
        missing = [
            [task_id, agent.name, generation, status]
            for task_id, agent, generation, status in expected
            if not _got(agent, task_id, generation)
        ]
        checked = len(expected)
        fail_listing(
            f"Every assignment should have reached its agent, but "
            f"{plural(len(missing), 'assignment')} recorded by the hub never arrived",
            ["task", "agent", "generation", "status now"],
            missing,
        )
        self.info(f"All {plural(checked, 'assignment')} reached their agents.")

    @keyword(tags=["Check", "Agent"])
    def agent_should_be_flagged(self, name: str, flag: str) -> None:
        """Fails unless the hub's state record of the agent carries ``flag``.

        Args:
            name: short name of the agent.
            flag: e.g. ``unresponsive``.

        Example:
        | `Agent Should Be Flagged` | slowpoke | unresponsive |
        """
        agent = self.agent(name)
        state = self.client.agent_state(agent.agent_id)
        flags = [_flag_name(f) for f in state.get("flags") or []]
        if flag not in flags:
            raise AgentComAssertion(
                f"Agent '{name}' ({agent.agent_id}) should be flagged '{flag}', but its flags "
                f"are {flags} (state {state.get('fsm_state')})."
            )
        self.info(f"Agent '{name}' flags: {flags}")

    # -- ledger ----------------------------------------------------------------------------

    @keyword(tags=["Check", "Task"])
    def no_task_should_be_lost(self) -> None:
        """Reconciles every task submitted in this test with the hub and the agents and
        logs the ledger (attempted, acknowledged, completed, dead-lettered, lost,
        duplicated, unexpected, ...). Fails unless it is valid: nothing lost, duplicated,
        unexpected, mismatched or unfinished.

        Example:
        | `No Task Should Be Lost` |
        """
        test = self.ctx.test
        hub_tasks = self.ctx.tasks(test.submitted)
        ledger = build_ledger(
            test.attempted,
            list(test.submitted),
            hub_tasks,
            self.ctx.agent_completions(),
            self.ctx.agent_names(),
            self.ctx.agent_reports(),
        )
        self.info(render_ledger_html(ledger), html=True)
        if not ledger.valid:
            raise AgentComAssertion(describe_ledger_problems(ledger))

    # -- helpers ---------------------------------------------------------------------------

    def _task(self, task_id: str) -> TaskRecord:
        task = self.ctx.tasks([task_id])[task_id]
        if task is None:
            raise AgentComAssertion(f"Task {task_id}: the hub has no such task (404).")
        return task

    def _completed_task(self, task_id: str) -> TaskRecord:
        task = self._task(task_id)
        if task.status != "completed":
            raise AgentComAssertion(
                f"Task {task_id} should be completed, but it is '{task.status}'"
                f" (agent {self._name(task.assigned_to)}, generation "
                f"{task.generation}).\n{self._table({task_id: task})}"
            )
        return task

    def _name(self, agent_id: str | None) -> str:
        return short_agent(agent_id, self.ctx.agent_names())

    def _table(self, tasks: dict[str, TaskRecord | None]) -> str:
        return task_table(tasks, self.ctx.agent_names())

    def _acknowledged_by(self, task: TaskRecord, agent_id: str | None) -> None:
        """Fail unless the agent the hub credits with the task received the complete ack
        (skipped when that agent is not one of this test's)."""
        task_id = task.id
        agents = self.agents_by_id(agent_id)
        if not agents:
            return
        mark = self.ctx.test.mark
        if any(task_id in a.completed_ids(mark) for a in agents):
            return
        raise AgentComAssertion(
            f"Task {task_id}: the hub says '{agents[0].name}' completed it (generation "
            f"{task.generation}), but '{agents[0].name}' never received a task_ack "
            f"'complete' for it (its completions in this test: "
            f"{id_list(agents[0].completed_ids(mark))})."
        )

    def _hub_completions(self, task_ids: list[str]) -> dict[str, list[str]]:
        """agent_id -> tasks among ``task_ids`` the hub records as completed by it."""
        result: dict[str, list[str]] = {}
        for task_id, task in self.ctx.tasks(task_ids).items():
            if task and task.completed:
                result.setdefault(task.last_assignee or "-", []).append(task_id)
        return result

    def _completion_counts(self, task_ids: list[str]) -> dict[str, list[str]]:
        """Short name -> tasks among ``task_ids`` completed by that agent (hub records),
        for every agent of this test; fails when an agent's acks disagree with the hub."""
        by_hub = self._hub_completions(task_ids)
        wanted = set(task_ids)
        counts: dict[str, list[str]] = {}
        for agent in self.ctx.agents.all():
            hub_ids = by_hub.get(agent.agent_id, [])
            counts.setdefault(agent.name, []).extend(hub_ids)
            acked = [t for t in self.ctx.completions(agent) if t in wanted]
            if sorted(acked) != sorted(hub_ids):
                raise AgentComAssertion(
                    f"The hub records {id_list(hub_ids)} as completed by '{agent.name}', but "
                    f"'{agent.name}' received completion acks for {id_list(acked)}."
                )
        return counts

    def _require_assigned(self, tasks: list[TaskRecord]) -> None:
        never = [t.id for t in tasks if t.first_assigned_at is None]
        if never:
            raise AgentComAssertion(
                f"{plural(len(never), 'task')} were never assigned, so the assignment order "
                f"cannot be judged: {id_list(never)}."
            )

    def _urgent_and_low(self, task_ids: list[str]) -> tuple[dict[str, int], dict[str, int], int]:
        tasks = self.known_tasks(task_ids)
        urgent = [t for t in tasks.values() if t.priority_name == "urgent"]
        low = [t for t in tasks.values() if t.priority_name == "low"]
        if not urgent or not low:
            raise AgentComAssertion(
                f"Comparing urgent with low tasks needs both, but the {len(tasks)} tasks "
                f"include {len(urgent)} urgent and {len(low)} low."
            )
        self._require_assigned(urgent + low)
        origin = min(int(t.created_at or 0) for t in tasks.values())
        return (
            {t.id: t.first_assigned_at for t in urgent},  # type: ignore[misc]
            {t.id: t.first_assigned_at for t in low},  # type: ignore[misc]
            origin,
        )


def _got(agent: AgentHandle, task_id: str, generation: int | None) -> bool:
    """Did the agent receive ``task_id`` with ``generation``? (Receipts whose generation
    the handle cannot see count for any generation.)"""
    return any(
        r.task_id == task_id and (r.generation is None or r.generation == generation)
        for r in agent.received_tasks()
    )


def _ms_after(newer: TaskRecord, older: TaskRecord) -> str:
    return human_ms((newer.created_at or 0) - (older.created_at or 0))


def _event_matches(expected: str, seen: str) -> bool:
    expected, seen = expected.lower(), seen.lower()
    return expected == seen or (expected == "assigned" and seen.startswith("assigned to "))


def _flag_name(flag: object) -> str:
    if isinstance(flag, dict):
        return str(flag.get("flag") or flag.get("name") or flag.get("type") or flag)
    return str(flag)


def _count_text(counts: dict[str, list[str]]) -> str:
    return ", ".join(f"{name}: {len(ids)}" for name, ids in counts.items()) or "no agents"
