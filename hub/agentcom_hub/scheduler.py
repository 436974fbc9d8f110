"""Queued-task index and the pairing rule (no I/O).

Queued tasks are grouped by their set of needed capabilities; each group is a heap
ordered by (priority, created_at, seq), or by (created_at, seq) when priority is ignored
(the ``ignore-priority`` fault). Pairing repeatedly takes the best head task among the
groups that some idle agent can serve and gives it to the first such agent in preference
order (the one idle longest). Cost per pairing is O(groups x idle agents), independent of
how many tasks are queued or finished.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

Caps = frozenset[str]


class QueueIndex:
    """Queued task ids, one heap per capability set."""

    def __init__(
        self,
        ignore_priority: bool = False,
        ignore_capabilities: bool = False,
        flat_high_normal: bool = False,
    ) -> None:
        self.ignore_priority = ignore_priority
        self.flat_high_normal = flat_high_normal
        self.ignore_capabilities = ignore_capabilities
        self._groups: dict[Caps, list[tuple]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, task_id: str, priority: int, created_at: int, seq: int, caps: Caps) -> None:
        """Add a queued task."""
        if self.ignore_capabilities:  # Fault.IGNORE_CAPABILITIES: every task needs nothing
            caps = frozenset()
        if self.flat_high_normal and priority == 2:  # Fault.FLAT_HIGH_NORMAL
            priority = 1
        if self.ignore_priority:  # Fault.IGNORE_PRIORITY: age only
            key: tuple = (created_at, seq, task_id)
        else:
            key = (priority, created_at, seq, task_id)
        heapq.heappush(self._groups.setdefault(caps, []), key)
        self._size += 1

    def heads(self) -> list[tuple[tuple, Caps]]:
        """(sort key, capability set) of the best task of each non-empty group."""
        return [(heap[0], caps) for caps, heap in self._groups.items()]

    def pop(self, caps: Caps) -> str:
        """Remove and return the best task id needing exactly ``caps``."""
        heap = self._groups[caps]
        key = heapq.heappop(heap)
        if not heap:
            del self._groups[caps]
        self._size -= 1
        return key[-1]

    def ids(self) -> list[str]:
        """Every queued id (for tests and diagnostics; O(n))."""
        return [key[-1] for heap in self._groups.values() for key in heap]


def pair(
    index: QueueIndex,
    idle: Sequence[tuple[str, Caps]],
    double_assign: bool = False,
    head_of_line: bool = False,
) -> list[tuple[str, str]]:
    """Pair queued tasks with idle agents; pops the paired tasks from ``index``.

    ``idle`` is (agent_id, capabilities) in preference order. Returns (task_id, agent_id)
    pairs in assignment order: best task first. A task no idle agent can serve is
    skipped without blocking the tasks behind it. ``double_assign`` is the fault of that
    name: an agent stays free for one more pairing in the same pass; ``head_of_line``
    the fault ``head-of-line-blocking``: the pass ends at a best task nobody can take.
    """
    free = list(idle)
    doubled: set[str] = set()
    pairs: list[tuple[str, str]] = []
    while free and len(index):
        best: tuple | None = None
        if head_of_line:  # Fault.HEAD_OF_LINE_BLOCKING: only the best task overall
            key, caps = min(index.heads(), key=lambda head: head[0])
            pos = next((i for i, (_, c) in enumerate(free) if caps <= c), None)
            if pos is None:
                break
            best = (key, caps, pos)
        for key, caps in [] if head_of_line else index.heads():
            if best is not None and key >= best[0]:
                continue
            for pos, (_agent_id, agent_caps) in enumerate(free):
                if caps <= agent_caps:
                    best = (key, caps, pos)
                    break
        if best is None:
            break
        _, caps, pos = best
        agent_id, agent_caps = free.pop(pos)
        if double_assign and agent_id not in doubled:  # Fault.DOUBLE_ASSIGN
            doubled.add(agent_id)
            free.insert(pos, (agent_id, agent_caps))
        pairs.append((index.pop(caps), agent_id))
    return pairs
