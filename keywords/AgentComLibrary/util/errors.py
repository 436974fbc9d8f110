"""The one root of every error the library raises on purpose.

Robot shows a keyword failure's message without the exception class name when the class
has ``ROBOT_SUPPRESS_NAME``; every error of the library derives from :class:`AgentComError`
(or :class:`AgentComAssertion` for a check that failed), so a user reads the message alone.
"""

from __future__ import annotations


class AgentComError(RuntimeError):
    """Something the library could not do: a hub, agent or process error, bad input."""

    ROBOT_SUPPRESS_NAME = True


class AgentComAssertion(AssertionError):
    """A check or wait that failed: the hub did not do what the contract or test asks."""

    ROBOT_SUPPRESS_NAME = True
