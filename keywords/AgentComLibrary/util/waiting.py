"""Poll a condition until a deadline; on timeout fail with a description of the last state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import AgentComAssertion
from .timeutil import Deadline, human

T = TypeVar("T")


class WaitTimeout(AgentComAssertion):
    """The condition did not hold before the deadline."""


@dataclass
class Outcome(Generic[T]):
    """The last attempt of a poll: whether it is done, its value, and the state seen."""

    done: bool
    value: T | None = None
    state: object = None


def poll(
    attempt: Callable[[], Outcome[T]],
    timeout: float,
    interval: float,
    failure: Callable[[Outcome[T]], str],
) -> tuple[T | None, Outcome[T], int]:
    """Call ``attempt`` every ``interval`` seconds until it is done or ``timeout`` passes.

    ``attempt`` may raise ``AssertionError`` to fail at once (a state the wait can never
    leave, e.g. a dead-lettered task). On timeout :class:`WaitTimeout` carries
    ``failure(last_outcome)``. Returns the value, the last outcome and the attempt count;
    nothing is logged per attempt.
    """
    deadline = Deadline(timeout)
    attempts = 0
    while True:
        attempts += 1
        outcome = attempt()
        if outcome.done:
            return outcome.value, outcome, attempts
        if deadline.expired:
            raise WaitTimeout(failure(outcome))
        time.sleep(min(interval, max(deadline.remaining(), 0.001)))


def within(timeout: float) -> str:
    return f"within {human(timeout)}"
