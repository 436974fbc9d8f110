"""Latency keywords: how long the hub took to assign tasks (every task, or a percentile of
many) and how long assignments took to reach their agents."""

from __future__ import annotations

import statistics
from datetime import timedelta

from robotlibcore import keyword

from ..hubapi.task_record import TaskRecord
from ..load.figures import parse_percentile, percentile
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, short_agent, table, verb
from ..util.timeutil import human, human_ms
from .base import LibraryComponent, fail_listing

SLOWEST_SHOWN = 5


class LatencyKeywords(LibraryComponent):
    # -- assignment latency (the hub's timestamps) ------------------------------------------

    @keyword(tags=["Check", "Task"])
    def assignment_latency_should_be_below(self, task_ids: list[str], limit: timedelta) -> None:
        """Fails unless every task was first assigned less than ``limit`` after it was
        created (hub timestamps: first ``assigned`` event minus ``created_at``).

        Args:
            task_ids: the tasks.
            limit: the largest latency allowed, e.g. ``5s``.

        Example:
        | `Assignment Latency Should Be Below` | ${tasks} | 5s |
        """
        tasks = self.known_tasks(task_ids)
        names = self.ctx.agent_names()
        limit_ms = limit.total_seconds() * 1000
        latencies: dict[str, int] = {}
        problems = []
        for task_id, task in tasks.items():
            first = task.first_assigned_at
            if first is None:
                problems.append([task_id, "never assigned", "-", task.status])
                continue
            latencies[task_id] = first - int(task.created_at or 0)
            if latencies[task_id] >= limit_ms:
                first_agent = task.first_assignee
                problems.append(
                    [
                        task_id,
                        human_ms(latencies[task_id]),
                        short_agent(first_agent, names),
                        task.status,
                    ]
                )
        values = sorted(latencies.values())
        summary = (
            f"min {human_ms(values[0])}, median {human_ms(statistics.median(values))}, "
            f"max {human_ms(values[-1])}"
            if values
            else "no task was assigned"
        )
        fail_listing(
            f"Assignment latency should be below {human(limit)} for all {len(tasks)} tasks "
            f"({summary}), but {plural(len(problems), 'task')} were not",
            ["task", "latency", "first agent", "status"],
            problems,
        )
        self.info(f"Assignment latency of {plural(len(tasks), 'task')}: {summary}.")

    @keyword(tags=["Check", "Load"])
    def assignment_latency_percentile_should_be_below(
        self, task_ids: list[str], percentile_name: str, limit: timedelta
    ) -> None:
        """Fails unless the given percentile (``p50``, ``p95``, ``p99``, ...) of the tasks'
        assignment latencies is below ``limit``. A task's latency is its first assignment
        minus its creation (hub timestamps, whole milliseconds); percentiles are
        nearest-rank, so p99 of 10,000 tasks is the 9,900th smallest latency. Every task
        must have been assigned.

        Args:
            task_ids: the tasks.
            percentile_name: ``p50``, ``p95``, ``p99`` (or any ``pNN``).
            limit: the percentile must be below this, e.g. ``250ms``.

        Example:
        | `Assignment Latency Percentile Should Be Below` | ${tasks} | p99 | 250ms |
        """
        pct = parse_percentile(percentile_name)
        name = f"p{pct:g}"
        tasks = list(self.known_tasks(task_ids).values())
        never = [t.id for t in tasks if t.first_latency_ms is None]
        if never:
            raise AgentComAssertion(
                f"The {name} assignment latency should be below {human(limit)}, but "
                f"{len(never)} of the {plural(len(tasks), 'task')} {verb(len(never), 'was')} "
                f"never assigned: {id_list(never)}."
            )
        latencies = [t.first_latency_ms or 0 for t in tasks]
        value = percentile(latencies, pct)
        spread = (
            f"p50 {human_ms(percentile(latencies, 50))}, p95 {human_ms(percentile(latencies, 95))}"
            f", p99 {human_ms(percentile(latencies, 99))}, max {human_ms(max(latencies))}"
        )
        if value >= limit.total_seconds() * 1000:
            raise AgentComAssertion(
                f"The {name} assignment latency of {plural(len(tasks), 'task')} should be below "
                f"{human(limit)}, but it is {human_ms(value)} ({spread}); the slowest:\n"
                + self._slowest(tasks)
            )
        self.info(
            f"The {name} assignment latency of {plural(len(tasks), 'task')} is {human_ms(value)}"
            f" ({spread})."
        )

    # -- delivery latency (the agents' receipt times) ---------------------------------------

    @keyword(tags=["Check", "Agent"])
    def delivery_latency_should_be_at_least(self, task_ids: list[str], limit: timedelta) -> int:
        """Fails unless every assignment of the tasks reached its agent at least ``limit``
        after the hub assigned it (agent's receipt time minus the hub's ``assigned_at``:
        the one-way delay of the path; both clocks must agree, as on one machine). Logs the
        minimum, median and maximum.

        Args:
            task_ids: the tasks.
            limit: the least one-way delay expected, e.g. ``150ms``.

        Returns:
            The median delivery latency in ms.

        Example:
        | ${median} = | `Delivery Latency Should Be At Least` | ${tasks} | 150ms |
        """
        wanted = set(task_ids)
        samples = sorted(
            (r.received_at - r.assigned_at, r.task_id, agent.name)
            for agent in self.ctx.agents.all()
            for r in agent.received_tasks(self.ctx.test.mark)
            if r.task_id in wanted and r.assigned_at is not None
        )
        if not samples:
            raise AssertionError(f"No agent of this test received any of {len(wanted)} tasks.")
        median = samples[len(samples) // 2][0]
        figures = (
            f"delivery latency over {len(samples)} assignments: min {samples[0][0]} ms, "
            f"median {median} ms, max {samples[-1][0]} ms"
        )
        fast = [s for s in samples if s[0] < limit.total_seconds() * 1000]
        if fast:
            shown = ", ".join(f"{t} to '{a}' after {ms} ms" for ms, t, a in fast[:5])
            raise AssertionError(
                f"Every assignment should have taken at least {human(limit)} to arrive, but "
                f"{len(fast)} did not: {shown} ({figures})."
            )
        self.info(figures.capitalize() + ".")
        return median

    # -- helpers ---------------------------------------------------------------------------

    def _slowest(self, tasks: list[TaskRecord]) -> str:
        names = self.ctx.agent_names()
        slowest = sorted(tasks, key=lambda t: t.first_latency_ms or 0, reverse=True)
        rows = [
            [t.id, human_ms(t.first_latency_ms), short_agent(t.first_assignee, names), t.status]
            for t in slowest[:SLOWEST_SHOWN]
        ]
        return table(["task", "latency", "first agent", "status"], rows)
