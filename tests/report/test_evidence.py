"""Contract evidence in time order (util.evidence)."""

from __future__ import annotations

from AgentComLibrary.util.evidence import time_ordered


def test_evidence_lines_come_in_time_order() -> None:
    lines = [
        "+0.212 s worker-1 <- task_assign task-1 gen 2",
        "hub +0.019 s task-1: assigned to worker-1 gen 1",
        "hub at 1700000000000 (hub ms) task-1: completed",
        "+0.018 s worker-1 -> identify",
    ]
    assert time_ordered(lines) == [lines[3], lines[1], lines[2], lines[0]]
