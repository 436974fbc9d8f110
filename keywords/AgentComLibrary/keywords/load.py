"""Load keywords: throughput and the capacity sweep (latency percentiles: ``latency.py``)."""

from __future__ import annotations

import time
from datetime import timedelta

from robotlibcore import keyword

from ..load.figures import LoadFigures, load_figures
from ..load.sweep import SweepStep, agent_counts
from ..report.sweep_chart import render_sweep
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, verb
from ..util.timeutil import human_ms
from .agents import AgentKeywords
from .base import LibraryComponent
from .tasks import TaskKeywords


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
        tasks = list(self.known_tasks(task_ids).values())
        unfinished = [t.id for t in tasks if not t.completed]
        if unfinished:
            raise AgentComAssertion(
                f"Throughput should be at least {per_second:,.10g} tasks/s, but {len(unfinished)} "
                f"of the {plural(len(tasks), 'task')} {verb(len(unfinished), 'is')} not "
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
            figures = load_figures(list(self.known_tasks(ids).values()))
            steps.append(SweepStep.of(count, figures, time.monotonic() - started))
            for name in names:
                self._agents.stop_agent(name)
            self.info(f"Sweep step: {_step_text(steps[-1])}.")
        p99_ms = None if max_p99 is None else max_p99.total_seconds() * 1000
        self.info(render_sweep(steps, min_throughput, p99_ms), html=True)
        return [step.as_dict() for step in steps]


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
