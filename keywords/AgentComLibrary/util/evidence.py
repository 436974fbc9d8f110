"""Evidence lines of a contract violation in time order, whoever's clock they are on."""

from __future__ import annotations

import re
from collections.abc import Iterable

# "+0.212 s worker-1 <- ..." (our clock) or "hub +0.019 s task-...: ..." (the hub's,
# estimated); "hub at 1700000000000 (hub ms) ..." has no relative time and keeps its place
_TIME = re.compile(r"^(?:hub )?([+-]\d+(?:\.\d+)?) s\b")


def time_ordered(lines: Iterable[str]) -> list[str]:
    """``lines`` sorted by their leading relative time (stable; lines without one stay
    after the line before them)."""
    keyed: list[tuple[float, int, str]] = []
    last = float("-inf")
    for index, line in enumerate(lines):
        found = _TIME.match(line)
        if found:
            last = float(found.group(1))
        keyed.append((last, index, line))
    return [line for _, _, line in sorted(keyed)]
