"""How fast the library drives a load: `Submit Tasks` and the checks of a 10,000-task test.

Runs the keyword library (no Robot run around it) against the embedded hub it starts:

1. `Submit Tasks` of 5,000 tasks with no agent connected (the tasks stay queued), once per
   ``--concurrency`` value, each on a fresh hub. Target: under 3 s.
2. On a fresh hub: ``--agents`` instant agents, ``--tasks`` tasks submitted with the
   concurrency of the suite, `Wait Until Tasks Are Completed`, then every check of
   ``suites/13_load_and_capacity.robot`` and the teardown's `Log Test Summary` and
   `Contract Should Hold`, each timed. Target: all of them under 5 s together.

Usage:
    .venv/bin/python benchmarks/load_keywords.py [--tasks 10000] [--agents 500]
        [--concurrency 1,2,4,8] [--submitters 4]

It measures, it does not gate: the exit code is 0 whether targets are met or not.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta

from AgentComLibrary import AgentComLibrary

SUBMIT_TARGET_S = 3.0
CHECKS_TARGET_S = 5.0


def timed(what: str, call: Callable[[], object], rows: list[tuple[str, float]]) -> object:
    started = time.perf_counter()
    result = call()
    rows.append((what, time.perf_counter() - started))
    return result


def submit_round(count: int, concurrency: int) -> float:
    """Seconds `Submit Tasks` takes for ``count`` tasks on a fresh hub with no agents."""
    lib = AgentComLibrary()
    lib.open_hub_session()
    try:
        lib.ctx.start_test(f"submit {concurrency}")
        started = time.perf_counter()
        ids = lib.submit_tasks(count, "Bench task {n}", concurrency=concurrency)
        took = time.perf_counter() - started
        assert len(ids) == count == len(set(ids))
        return took
    finally:
        lib.close_hub_session()


def checks_round(tasks: int, agents: int, submitters: int) -> list[tuple[str, float]]:
    """Each step of a load test and how long it took."""
    lib = AgentComLibrary(timeout=timedelta(minutes=3))
    lib.open_hub_session()
    rows: list[tuple[str, float]] = []
    try:
        lib.ctx.start_test("checks")
        timed(f"Start Agents ({agents})", lambda: lib.start_agents(agents, "worker"), rows)
        ids = timed(
            f"Submit Tasks ({tasks}, concurrency={submitters})",
            lambda: lib.submit_tasks(tasks, "Load task {n}", concurrency=submitters),
            rows,
        )
        timed(
            "Wait Until Tasks Are Completed", lambda: lib.wait_until_tasks_are_completed(ids), rows
        )
        checks = [
            ("No Task Should Be Lost", lib.no_task_should_be_lost),
            ("Total Completed Count Should Be", lambda: lib.total_completed_count_should_be(tasks)),
            (
                "Every Assignment Should Have Reached Its Agent",
                lambda: lib.every_assignment_should_have_reached_its_agent(ids),
            ),
            ("Throughput Should Be At Least", lambda: lib.throughput_should_be_at_least(ids, 1)),
            (
                "Assignment Latency Percentile Should Be Below p50",
                lambda: lib.assignment_latency_percentile_should_be_below(
                    ids, "p50", timedelta(minutes=1)
                ),
            ),
            (
                "Assignment Latency Percentile Should Be Below p99",
                lambda: lib.assignment_latency_percentile_should_be_below(
                    ids, "p99", timedelta(minutes=1)
                ),
            ),
            ("Log Test Summary (teardown)", lib.log_test_summary),
            ("Contract Should Hold (teardown)", lib.contract_should_hold),
        ]
        for name, call in checks:
            timed(name, call, rows)
        records = lib.ctx.test.records
        rows.append((f"(records read {records.read}, reused {records.reused})", 0.0))
        timed(f"Stop All Agents ({agents})", lib.stop_all_agents, rows)
    finally:
        lib.close_hub_session()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--submit-tasks", type=int, default=5_000)
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--submitters", type=int, default=4)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the keywords' log lines go nowhere outside Robot
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        took = submit_round(args.submit_tasks, concurrency)
        verdict = "ok" if took < SUBMIT_TARGET_S else f"over the {SUBMIT_TARGET_S:g} s target"
        print(
            f"Submit Tasks {args.submit_tasks}, no agents, concurrency={concurrency}: "
            f"{took:.2f} s ({args.submit_tasks / took:.0f} tasks/s) {verdict}"
        )
    rows = checks_round(args.tasks, args.agents, args.submitters)
    width = max(len(name) for name, _ in rows)
    for name, took in rows:
        print(f"  {name.ljust(width)}  {took:6.2f} s" if took else f"  {name}")
    checks = sum(t for name, t in rows if "Should" in name or "Summary" in name)
    verdict = "ok" if checks < CHECKS_TARGET_S else f"over the {CHECKS_TARGET_S:g} s target"
    print(f"All checks and the teardown's reads of {args.tasks} tasks: {checks:.2f} s {verdict}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
