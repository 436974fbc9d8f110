"""Throughput and assignment-latency figures of a set of tasks, from the hub's own timestamps.

- Assignment latency of a task: its first ``assigned`` event minus ``created_at``.
- Throughput: completed tasks per second over the window from the first task's
  ``created_at`` to the last ``completed`` event (a window of 0 ms counts as 1 ms).
- Percentiles are nearest-rank: p99 of 10,000 values is the 9,900th smallest, a value that
  was really seen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..hubapi.task_record import TaskRecord

_PERCENTILE = re.compile(r"^\s*p?\s*(\d+(?:\.\d+)?)\s*%?\s*$", re.IGNORECASE)


def parse_percentile(text: str | float) -> float:
    """``p99``, ``99``, ``99%`` or ``p99.9`` -> 99.0 (must be above 0 and at most 100)."""
    match = _PERCENTILE.match(str(text))
    value = float(match.group(1)) if match else -1.0
    if not 0 < value <= 100:
        raise ValueError(f"A percentile looks like 'p50', 'p95' or 'p99', got '{text}'.")
    return value


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def completed_at(task: TaskRecord) -> int | None:
    """When the hub recorded the task's (last) completion."""
    stamps = [e.timestamp for e in task.events_named("completed") if e.timestamp is not None]
    return max(stamps) if stamps else None


@dataclass(frozen=True)
class LoadFigures:
    """What the hub's records say about a load: counts, window, throughput, latencies."""

    tasks: int
    completed: int
    started_ms: int | None  # first created_at
    ended_ms: int | None  # last completion
    latencies_ms: tuple[int, ...]  # first-assignment latency of every assigned task, sorted

    @property
    def window_ms(self) -> int:
        if self.started_ms is None or self.ended_ms is None:
            return 0
        return max(1, self.ended_ms - self.started_ms)

    @property
    def throughput(self) -> float:
        """Completed tasks per second over the window (0 with none completed)."""
        return self.completed * 1000 / self.window_ms if self.window_ms else 0.0

    def latency(self, pct: float) -> float | None:
        """The ``pct`` percentile of the assignment latencies (None with none assigned)."""
        return percentile(self.latencies_ms, pct) if self.latencies_ms else None


def load_figures(tasks: Iterable[TaskRecord]) -> LoadFigures:
    """The figures of ``tasks`` (their hub records)."""
    items = list(tasks)
    created = [t.created_at for t in items if t.created_at is not None]
    ends = [stamp for t in items if t.completed and (stamp := completed_at(t)) is not None]
    latencies = sorted(t.first_latency_ms for t in items if t.first_latency_ms is not None)
    return LoadFigures(
        tasks=len(items),
        completed=sum(t.completed for t in items),
        started_ms=min(created) if created else None,
        ended_ms=max(ends) if ends else None,
        latencies_ms=tuple(latencies),
    )
