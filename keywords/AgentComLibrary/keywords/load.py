"""Load keywords: throughput, assignment-latency percentiles and the capacity sweep."""

from __future__ import annotations

import time
from datetime import timedelta

from robotlibcore import keyword

from ..hubapi.task_record import TaskRecord
from ..load.figures import LoadFigures, load_figures, parse_percentile, percentile
from ..load.sweep import SweepStep, agent_counts
from ..report.sweep_chart import render_sweep
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, short_agent, table
from ..util.timeutil import human, human_ms
from .agents import AgentKeywords
from .base import LibraryComponent
from .tasks import TaskKeywords

SLOWEST_SHOWN = 5


class LoadKeywords(LibraryComponent):
    def __init__(self, ctx, agents: AgentKeywords, tasks: TaskKeywords) -> None:
        super().__init__(ctx)
        self._agents = agents
        self._tasks = tasks

    # -- checks ----------------------------------------------------------------------------

    @keyword(tags=["Check", "Load"])
    def throughput_should_be_at_least(self, task_ids: list[str], per_second: float) -> None:
        """Fails unless the tasks were completed at ``per_second`` tasks per second or more,
        over the window from the first task's creation to the last completion (the hub's
        timestamps). Every task must be completed.

        Args:
            task_ids: the tasks.
            per_second: the least throughput allowed, in tasks per second.

        Example:
        | `Throughput Should Be At Least` | ${tasks} | 500 |
        """
        tasks = self._records(task_ids)
        unfinished = [t.id for t in tasks if not t.completed]
        if unfinished:
            raise AgentComAssertion(
                f"Throughput should be at least {per_second:,.10g} tasks/s, but {len(unfinished)} "
                f"of the {plural(len(tasks), 'task')} {_verb(len(unfinished), 'is')} not "
                f"completed, so the window never closed: {id_list(unfinished)}."
            )
        figures = load_figures(tasks)
        text = _throughput_text(figures)
        if figures.throughput < per_second:
            raise AgentComAssertion(
                f"Throughput should be at least {per_second:,.10g} tasks/s, but {text}."
            )
        self.info(text[0].upper() + text[1:] + ".")

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
        tasks = self._records(task_ids)
        never = [t.id for t in tasks if t.first_latency_ms is None]
        if never:
            raise AgentComAssertion(
                f"The {name} assignment latency should be below {human(limit)}, but "
                f"{len(never)} of the {plural(len(tasks), 'task')} {_verb(len(never), 'was')} "
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

    @keyword(tags=["Check", "Load"])
    def capacity_sweep_should_stay_within_bars(
        self,
        sweep: list[dict],
        min_throughput: float | None = None,
        max_p99: timedelta | None = None,
    ) -> None:
        """Fails at the first step of a sweep (from `Run Capacity Sweep`) that broke a bar:
        a task not completed, throughput below ``min_throughput`` tasks/s, or p99
        assignment latency not below ``max_p99``.

        Args:
            sweep: the steps `Run Capacity Sweep` returned.
            min_throughput: the least tasks/s a step may reach; left out: not judged.
            max_p99: p99 assignment latency must stay below this; left out: not judged.

        Example:
        | ${sweep} = | `Run Capacity Sweep` | 10, 50, 200 | tasks=1000 |
        | `Capacity Sweep Should Stay Within Bars` | ${sweep} | min_throughput=300 | max_p99=1s |
        """
        steps = [SweepStep(**step) for step in sweep]
        if not steps:
            raise AgentComAssertion("A capacity sweep should have steps, but it has none.")
        p99_ms = None if max_p99 is None else max_p99.total_seconds() * 1000
        for step in steps:
            problems = step.problems(min_throughput, p99_ms)
            if problems:
                raise AgentComAssertion(
                    f"The capacity sweep should stay within its bars up to {steps[-1].agents} "
                    f"agents, but at {step.agents} agents: {'; '.join(problems)} (steps: "
                    + ", ".join(_step_text(s) for s in steps)
                    + ")."
                )
        self.info(
            "Every step of the capacity sweep stayed within the bars: "
            + ", ".join(_step_text(s) for s in steps)
            + "."
        )

    # -- the sweep -------------------------------------------------------------------------

    @keyword(tags=["Load", "Agent", "Task"])
    def run_capacity_sweep(
        self,
        agents: str,
        tasks: int = 1000,
        concurrency: int = 4,
        min_throughput: float | None = None,
        max_p99: timedelta | None = None,
        timeout: timedelta = timedelta(minutes=2),
    ) -> list[dict]:
        """Runs the same load with more and more agents and logs where throughput or
        latency breaks a bar: for each count, starts that many agents (``sweep<N>-1``...),
        submits ``tasks`` tasks from ``concurrency`` submitters, waits until all are
        completed, reads the figures from the hub's records and stops the agents. Logs a
        table and a chart of throughput and p99 assignment latency against agents, with
        the bars as dashed lines; judge the result with
        `Capacity Sweep Should Stay Within Bars`. Every task counts in the test's checks.

        Args:
            agents: the agent counts, increasing, e.g. ``10, 50, 200, 500``.
            tasks: tasks per step.
            concurrency: submitters posting at the same time (see `Submit Tasks`).
            min_throughput: the throughput bar (tasks/s) drawn and named in the log.
            max_p99: the p99 latency bar drawn and named in the log.
            timeout: how long each step may wait for its tasks.

        Returns:
            One dict per step: ``agents``, ``tasks``, ``completed``, ``seconds``,
            ``throughput``, ``p50_ms``, ``p95_ms``, ``p99_ms``.

        Example:
        | ${sweep} = | `Run Capacity Sweep` | 10, 50, 200, 500 | tasks=2000 | max_p99=1s |
        """
        steps = []
        for count in agent_counts(agents):
            started = time.monotonic()
            names = self._agents.start_agents(count, prefix=f"sweep{count}")
            ids = self._tasks.submit_tasks(
                tasks, f"Sweep {count} agents, task {{n}}", concurrency=concurrency
            )
            self._tasks.wait_until_tasks_are_completed(ids, timeout)
            figures = load_figures(self._records(ids))
            steps.append(SweepStep.of(count, figures, time.monotonic() - started))
            for name in names:
                self._agents.stop_agent(name)
            self.info(f"Sweep step: {_step_text(steps[-1])}.")
        p99_ms = None if max_p99 is None else max_p99.total_seconds() * 1000
        self.info(render_sweep(steps, min_throughput, p99_ms), html=True)
        return [step.as_dict() for step in steps]

    # -- helpers ---------------------------------------------------------------------------

    def _records(self, task_ids: list[str]) -> list[TaskRecord]:
        found = self.ctx.tasks(task_ids)
        missing = [task_id for task_id, task in found.items() if task is None]
        if missing:
            raise AgentComAssertion(
                f"The hub does not know {plural(len(missing), 'task')} (404): {id_list(missing)}."
            )
        return [task for task in found.values() if task is not None]

    def _slowest(self, tasks: list[TaskRecord]) -> str:
        names = self.ctx.agent_names()
        slowest = sorted(tasks, key=lambda t: t.first_latency_ms or 0, reverse=True)
        rows = [
            [t.id, human_ms(t.first_latency_ms), short_agent(t.first_assignee, names), t.status]
            for t in slowest[:SLOWEST_SHOWN]
        ]
        return table(["task", "latency", "first agent", "status"], rows)


def _verb(count: int, singular: str) -> str:
    return singular if count == 1 else {"is": "are", "was": "were"}[singular]


def _throughput_text(figures: LoadFigures) -> str:
    return (
        f"{plural(figures.completed, 'task')} were completed in {human_ms(figures.window_ms)} "
        f"from the first submission to the last completion ({figures.throughput:.0f} tasks/s)"
    )


def _step_text(step: SweepStep) -> str:
    return (
        f"{step.agents} agents {step.throughput:.0f} tasks/s p99 {human_ms(step.p99_ms)}"
        f" ({step.completed}/{step.tasks} completed)"
    )
