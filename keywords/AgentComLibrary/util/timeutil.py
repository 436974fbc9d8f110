"""Time helpers: hub timestamps (Unix ms), durations and deadlines."""

from __future__ import annotations

import time
from datetime import timedelta


def now_ms() -> int:
    """Wall-clock time as the hub writes it: Unix time in milliseconds."""
    return int(time.time() * 1000)


def seconds(value: timedelta | float | int | None, default: float = 0.0) -> float:
    """A duration in seconds from a ``timedelta`` or a number of seconds."""
    if value is None:
        return default
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def hub_duration(value: timedelta | float) -> str:
    """A duration in the hub CLI's syntax (``250ms``)."""
    return f"{round(seconds(value) * 1000)}ms"


def human(value: timedelta | float | None) -> str:
    """A short human form of a duration: ``250 ms``, ``1.5 s``, ``2 min 5 s``."""
    secs = seconds(value)
    if secs < 1:
        return f"{round(secs * 1000)} ms"
    if secs < 60:
        return f"{secs:g} s" if secs == int(secs) else f"{secs:.1f} s"
    minutes, rest = divmod(round(secs), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def human_ms(ms: int | float | None) -> str:
    """A duration given in milliseconds, in human form; ``-`` for None."""
    return "-" if ms is None else human(ms / 1000)


class Deadline:
    """A point in monotonic time, to wait until."""

    def __init__(self, timeout: timedelta | float) -> None:
        self.timeout = seconds(timeout)
        self._end = time.monotonic() + self.timeout

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end
