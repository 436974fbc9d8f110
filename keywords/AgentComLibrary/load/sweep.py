"""One step of a capacity sweep: how many agents, and what the hub's records said."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

from ..util.timeutil import human_ms
from .figures import LoadFigures


@dataclass(frozen=True)
class SweepStep:
    """The figures of one step (the same load with ``agents`` agents)."""

    agents: int
    tasks: int
    completed: int
    seconds: float  # wall time of the step: start agents, submit, wait
    throughput: float  # completed tasks per second (see ``load.figures``)
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @classmethod
    def of(cls, agents: int, figures: LoadFigures, seconds: float) -> SweepStep:
        return cls(
            agents=agents,
            tasks=figures.tasks,
            completed=figures.completed,
            seconds=round(seconds, 3),
            throughput=round(figures.throughput, 1),
            p50_ms=figures.latency(50),
            p95_ms=figures.latency(95),
            p99_ms=figures.latency(99),
        )

    def problems(self, min_throughput: float | None, max_p99_ms: float | None) -> list[str]:
        """Which bars this step breaks, in words (empty: none)."""
        found = []
        if self.completed < self.tasks:
            found.append(f"{self.tasks - self.completed} of {self.tasks} tasks not completed")
        if min_throughput is not None and self.throughput < min_throughput:
            found.append(f"{self.throughput:.0f} tasks/s, below {min_throughput:,.10g}")
        if max_p99_ms is not None and (self.p99_ms is None or self.p99_ms >= max_p99_ms):
            found.append(f"p99 {human_ms(self.p99_ms)}, not below {human_ms(max_p99_ms)}")
        return found

    def as_dict(self) -> dict:
        return asdict(self)


def agent_counts(text: str | list) -> list[int]:
    """``10, 50, 200`` (or a list) -> [10, 50, 200]: positive and increasing."""
    items = text if isinstance(text, list) else str(text).replace(";", ",").split(",")
    try:
        counts = [int(str(item).strip()) for item in items if str(item).strip()]
    except ValueError:
        raise ValueError(f"Agent counts look like '10, 50, 200', got '{text}'.") from None
    if not counts or counts[0] < 1 or any(b <= a for a, b in itertools.pairwise(counts)):
        raise ValueError(f"Agent counts must be positive and increasing, got '{text}'.")
    return counts
