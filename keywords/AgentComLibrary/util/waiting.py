"""The one way the library waits: until a condition holds or a deadline passes.

Every ``Wait Until ...`` keyword (and every keyword that waits for an answer) goes
through :func:`wait_until`: it polls ``attempt`` every ``interval`` seconds, or, when the
thing waited on can signal changes itself (a simulated agent's journal), sleeps on that
signal instead. On timeout it fails with :class:`WaitTimeout`, whose text is the caller's
``message`` when given, else ``failure(last_outcome)``; both ways the timeout is worded
as Robot words it (:func:`within`: ``within 2 seconds 500 milliseconds``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from robot.utils import secs_to_timestr

from .errors import AgentComAssertion
from .timeutil import Deadline

T = TypeVar("T")

#: waits on an event source: ``waiter(predicate, timeout)`` returns whether it held in time
Waiter = Callable[[Callable[[], bool], float], bool]


class WaitTimeout(AgentComAssertion):
    """The condition did not hold before the deadline."""


@dataclass
class Outcome(Generic[T]):
    """One attempt of a wait: whether it is done, its value, and the state seen."""

    done: bool
    value: T | None = None
    state: object = None


@dataclass
class Waited(Generic[T]):
    """A wait that succeeded: the value, the last outcome, attempts made and time taken."""

    value: T | None
    outcome: Outcome[T]
    attempts: int
    elapsed: float


def within(timeout: float) -> str:
    """``within 10 seconds``: how every wait failure words its timeout."""
    return f"within {secs_to_timestr(timeout)}"


def wait_until(
    attempt: Callable[[], Outcome[T]],
    timeout: float,
    *,
    interval: float,
    failure: Callable[[Outcome[T]], str],
    message: str | None = None,
    waiter: Waiter | None = None,
) -> Waited[T]:
    """Call ``attempt`` until it is done or ``timeout`` seconds pass.

    ``attempt`` may raise ``AssertionError`` to fail at once (a state the wait can never
    leave, e.g. a dead-lettered task). With ``waiter`` the attempts run when the event
    source signals a change instead of every ``interval``. On timeout
    :class:`WaitTimeout` carries ``message`` if given, else ``failure(last_outcome)``.
    Nothing is logged per attempt.
    """
    started = time.monotonic()
    deadline = Deadline(timeout)
    attempts = 0
    last: list[Outcome[T]] = []

    def once() -> bool:
        nonlocal attempts
        attempts += 1
        outcome = attempt()
        last[:] = [outcome]
        return outcome.done

    if waiter is not None:
        if waiter(once, deadline.remaining()) or once():
            return Waited(last[0].value, last[0], attempts, time.monotonic() - started)
    else:
        while not once():
            if deadline.expired:
                break
            time.sleep(min(interval, max(deadline.remaining(), 0.001)))
        else:
            return Waited(last[0].value, last[0], attempts, time.monotonic() - started)
    raise WaitTimeout(message or failure(last[0]))


def holds_within(
    predicate: Callable[[], bool], timeout: float, interval: float, waiter: Waiter | None = None
) -> bool:
    """Whether ``predicate`` holds within ``timeout`` (a quiet wait that does not fail)."""
    try:
        wait_until(
            lambda: Outcome(predicate()),
            timeout,
            interval=interval,
            failure=lambda _: "",
            waiter=waiter,
        )
    except WaitTimeout:
        return False
    return True
