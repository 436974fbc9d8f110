"""Every named choice the library knows, in one place: task priorities and statuses, agent
behaviours, hub restart modes, the tokens a contract probe presents."""

from __future__ import annotations

from enum import Enum
from typing import Literal

TaskStatus = Literal["queued", "assigned", "completed", "dead_letter"]
# The priority words a keyword argument takes (Robot checks them, also in --dryrun).
PriorityWord = Literal["urgent", "high", "normal", "low"]


class Priority(Enum):
    """A task priority: the word a submitter writes, and the integer the hub stores."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def words(cls) -> list[str]:
        return [p.word for p in cls]

    @classmethod
    def from_word(cls, word: str) -> Priority:
        """``urgent`` -> ``Priority.URGENT``; a clear error for anything else (the hub would
        silently treat an unknown word as normal, which hides typos)."""
        try:
            return cls[str(word).strip().upper()]
        except KeyError:
            raise ValueError(
                f"Unknown priority '{word}': expected one of {', '.join(cls.words())}."
            ) from None

    @classmethod
    def name_of(cls, value: object) -> str:
        """The word of an integer priority or of a known word; other values as they are."""
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value).word
            except ValueError:
                return str(value)
        text = str(value)
        return text.lower() if text.upper() in cls.__members__ else text

    @classmethod
    def level_of(cls, word: str) -> int:
        """The integer of a word; unknown words sort last (9)."""
        member = cls.__members__.get(str(word).upper())
        return member.value if member else 9


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


class TokenChoice(Enum):
    """Which token a probe or a raw request presents.

    | `own` | a valid token created for this agent id |
    | `unknown` | 64 hex characters the hub never issued |
    | `another agent` | a valid token that belongs to a different agent id |
    | `none` | no token at all (HTTP: no ``Authorization`` header) |
    | `valid` | the session's bootstrap token (HTTP only) |
    """

    OWN = "own"
    UNKNOWN = "unknown"
    ANOTHER_AGENT = "another agent"
    NONE = "none"
    VALID = "valid"
