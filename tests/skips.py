"""Which skips a green suite run may have (shared by the tests that run whole suites)."""

from __future__ import annotations


def is_twin_skip(message: str, tags: list[str]) -> bool:
    """A `slow` test that skips because the hub's timers are short and its twin ran its steps
    (TEST-02k..02n beside TEST-02o, NET-00c beside NET-00b)."""
    return "slow" in tags and "runs these steps" in message
