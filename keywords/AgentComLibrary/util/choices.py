"""Every named choice the library knows, in one place: task priorities and statuses, agent
behaviours, hub restart modes, the tokens a contract probe presents."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Literal, NoReturn

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
    | complete | accepts and completes at once (see below) |
    | slow | accepts and completes after the agent's delay |
    | fail | accepts and reports a failure (the hub retries or dead-letters the task) |
    | ignore | never accepts (the hub's acceptance timeout reclaims the task) |
    | hold | accepts and never finishes |
    | omit generation | accepts and completes without a ``generation`` field |

    "At once" means as soon as the agent receives the assignment: it sends
    ``task_accepted`` and ``task_complete`` back to back, without waiting for the hub's
    ack, so the hub records the completion one round trip after the assignment (a few
    milliseconds on one machine).
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


def choice_converter(kind: type[Enum], argument: str) -> Callable[[str], Enum]:
    """A Robot argument converter for ``kind`` that accepts a member's value or name
    (``omit generation``, ``OMIT_GENERATION``, ``omit_generation``) and, for anything else,
    lists the values as the docs write them and names a misspelt argument
    (``behavior=slow`` reaches ``behaviour`` whole when the keyword has no ``behavior``)."""
    label = argument.replace("_", " ")

    def convert(value: str) -> Enum:
        key = _normal(value)
        for member in kind:
            if key in (_normal(member.value), _normal(member.name)):
                return member
        values = ", ".join(str(member.value) for member in kind)
        hint = ""
        name, sep, rest = str(value).partition("=")
        if sep and rest and any(_normal(rest) == _normal(m.value) for m in kind):
            hint = (
                f" The keyword has no argument '{name.strip()}', so Robot passed the whole "
                f"text as the {label}: write {argument}={rest.strip()}."
            )
        return _fail(f"Unknown {label} '{value}'; expected one of: {values}.{hint}")

    convert.__doc__ = kind.__doc__
    return convert


def _normal(text: object) -> str:
    return "".join(str(text).lower().replace("_", " ").split())


def _fail(message: str) -> NoReturn:
    raise ValueError(message)


#: Robot's converters for the library's choices (``ROBOT_LIBRARY_CONVERTERS``)
CONVERTERS = {
    Behaviour: choice_converter(Behaviour, "behaviour"),
    RestartMode: choice_converter(RestartMode, "mode"),
    TokenChoice: choice_converter(TokenChoice, "token"),
}
