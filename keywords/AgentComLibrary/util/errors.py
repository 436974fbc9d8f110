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


# Python's own errors that the library's code raises (or lets through) for bad input;
# a keyword failure shows them as an AgentComError, without "ValueError:" in front.
PLAIN_ERRORS = (ValueError, TypeError, KeyError, IndexError)


def as_library_error(error: BaseException) -> BaseException:
    """``error`` as the library shows it: a plain Python error becomes an
    :class:`AgentComError` with the same message; any other error is returned as it is."""
    if not isinstance(error, PLAIN_ERRORS) or getattr(error, "ROBOT_SUPPRESS_NAME", False):
        return error
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    wrapped = AgentComError(str(text))
    wrapped.__cause__ = error
    return wrapped
