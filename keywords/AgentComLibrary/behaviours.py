"""Named choices the keywords take: agent behaviours and hub restart modes."""

from __future__ import annotations

from enum import Enum


class Behaviour(Enum):
    """What a simulated agent does with a task it is assigned.

    | =Behaviour= | =The agent ...= |
    | complete | accepts and completes at once |
    | slow | accepts and completes after the agent's delay |
    | fail | accepts and reports a failure (the hub retries or dead-letters the task) |
    | ignore | never accepts (the hub's acceptance timeout reclaims the task) |
    | hold | accepts and never finishes |
    | omit generation | accepts and completes without a ``generation`` field |
    """

    COMPLETE = "complete"
    SLOW = "slow"
    FAIL = "fail"
    IGNORE = "ignore"
    HOLD = "hold"
    OMIT_GENERATION = "omit generation"

    @property
    def accepts(self) -> bool:
        return self is not Behaviour.IGNORE


class RestartMode(Enum):
    """How the embedded hub is stopped before it is started again.

    | kill | SIGKILL: a crash, nothing is flushed on the way out |
    | terminate | SIGTERM: a clean shutdown |
    """

    KILL = "kill"
    TERMINATE = "terminate"
