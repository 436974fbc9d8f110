"""The search: Hypothesis draws lists of operations, each planned list runs once as a live
example, and Hypothesis shrinks the first failure to a minimal list that fails the same way.

Robot-free; the example runner is a callable, so the plumbing runs in tests without a hub.
A live hub is not a pure function, so every planned list's result is cached: Hypothesis
sees the same answer whenever it asks again (no ``Flaky``), and a list is never run twice.
Budgets: ``duration`` for finding a failure, then ``shrink_time`` for shrinking it; past a
budget the search stops (searching) or keeps the smallest failure so far (shrinking).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from .findings import Finding
from .model import plan
from .ops import Op
from .runner import ExampleResult

Run = Callable[[tuple[Op, ...]], ExampleResult]


@dataclass(frozen=True)
class Budget:
    """How long and how far to search: seconds to find a failure, operations per example,
    examples in all, seconds to shrink a failure once found."""

    duration: float = 60.0
    max_operations: int = 12
    max_examples: int = 500
    shrink_time: float = 60.0


@dataclass(frozen=True)
class ShrinkStep:
    """A smaller example that failed the same way, found while shrinking."""

    operations: int
    lines: int
    at: float  # seconds since the search began


@dataclass
class SearchResult:
    """What the search did and found."""

    seed: int
    budget: Budget
    examples: int = 0  # examples run live
    seconds_passing: float = 0.0  # time the passing examples took, in all
    seconds_failing: float = 0.0  # time the failing examples took, in all
    failing: int = 0  # examples that failed (any way)
    repeats: int = 0  # planned lists Hypothesis asked for again (answered from the cache)
    finding: Finding | None = None
    found_at: float = 0.0  # seconds into the search
    first_operations: int = 0  # operations of the first failing example
    best: ExampleResult | None = None
    best_plan: tuple[Op, ...] = ()
    steps: list[ShrinkStep] = field(default_factory=list)
    others: dict[str, int] = field(default_factory=dict)  # other findings seen while shrinking
    other_findings: dict[str, Finding] = field(default_factory=dict)  # the first of each
    seconds: float = 0.0
    stopped: str = ""  # why the search ended
    shrink_cut: bool = False  # the shrink budget ran out before Hypothesis was done


class _BudgetSpent(BaseException):
    """Ends the search without a failure: past ``duration``, or asked to stop. A
    BaseException, so Hypothesis does not take it for a failure to shrink."""


class _Failed(Exception):
    """Tells Hypothesis that an example failed (the same way as the first failure)."""


def search(
    run: Run,
    strategy: st.SearchStrategy[list[Op]],
    seed: int,
    budget: Budget,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Search for a failing list of operations and shrink it; see the module's docs."""
    result = SearchResult(seed=seed, budget=budget)
    cache: dict[tuple[Op, ...], ExampleResult] = {}
    start = clock()

    def probe(ops: list[Op]) -> None:
        key = plan(ops)
        example = cache.get(key)
        now = clock() - start
        if example is not None:
            result.repeats += 1
        elif stop is not None and stop.is_set():
            if result.finding is None:
                raise _BudgetSpent("stopped")
            result.shrink_cut = True
            return
        elif result.finding is None and now > budget.duration:
            raise _BudgetSpent("duration")
        elif result.finding is not None and now > result.found_at + budget.shrink_time:
            result.shrink_cut = True  # no more live runs: the smallest failure so far stays
            return
        else:
            example = cache[key] = run(key)
            result.examples += 1
            if example.finding is None:
                result.seconds_passing += example.seconds
            else:
                result.failing += 1
                result.seconds_failing += example.seconds
        finding = example.finding
        if finding is None:
            return
        if result.finding is None:
            result.finding, result.found_at = finding, clock() - start
            result.first_operations = len(key)
        elif not finding.same_as(result.finding):
            result.others[str(finding)] = result.others.get(str(finding), 0) + 1
            result.other_findings.setdefault(str(finding), finding)
            return  # another failure: not the one being shrunk
        if result.best is None or _size(key, example) < _size(result.best_plan, result.best):
            if result.best is not None:
                result.steps.append(ShrinkStep(len(key), len(example.lines), clock() - start))
            result.best, result.best_plan = example, key
        raise _Failed(finding.signature)

    configured = settings(
        database=None,
        max_examples=budget.max_examples,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    test = hypothesis_seed(seed)(configured(given(strategy)(probe)))
    try:
        test()
        result.stopped = f"{budget.max_examples} examples drawn, none failed"
    except _BudgetSpent as spent:
        result.stopped = "asked to stop" if str(spent) == "stopped" else "time budget spent"
    except _Failed:
        _drop_one_by_one(probe, result)
        result.stopped = "found a failure and shrank it" + (
            " (cut short by the shrink budget)" if result.shrink_cut else ""
        )
    result.seconds = clock() - start
    return result


def _drop_one_by_one(probe: Callable[[list[Op]], None], result: SearchResult) -> None:
    """After Hypothesis: leave out each operation of the smallest failure in turn, and keep
    any shorter list that fails the same way (Hypothesis does not always try every single
    deletion of a list drawn from nested choices). ``probe`` runs, caches and keeps the
    smallest failure as during shrinking, within the same shrink budget."""
    shrunk = True
    while shrunk and not result.shrink_cut:
        shrunk = False
        best = result.best_plan
        for index in range(len(best)):
            with contextlib.suppress(_Failed):
                probe(list(best[:index] + best[index + 1 :]))
            if result.best_plan != best:
                shrunk = True
                break


def _size(key: tuple[Op, ...], example: ExampleResult) -> tuple[int, int]:
    return (len(key), len(example.lines))
