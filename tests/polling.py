"""Polling with a deadline, for test helpers that wait on a condition (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def poll(predicate: Callable[[], Any], timeout: float, step: float) -> Any:
    """``predicate()``'s first truthy value, tried every ``step`` seconds; its last (falsy)
    value when ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
