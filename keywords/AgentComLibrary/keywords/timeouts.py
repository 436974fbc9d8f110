"""Changing the library's default wait timeout while a run goes on (SeleniumLibrary's
``Set Selenium Timeout``, Browser's ``Set Browser Timeout``)."""

from __future__ import annotations

from datetime import timedelta

from robot.utils import secs_to_timestr
from robotlibcore import keyword

from .base import LibraryComponent


class TimeoutKeywords(LibraryComponent):
    @keyword(tags=["Session"])
    def set_agentcom_timeout(self, timeout: timedelta) -> str:
        """Sets the default ``timeout`` of every wait keyword (the import argument
        ``timeout``, see `Timeouts`) and returns the old one, to set it back later.

        A wait given its own ``timeout=`` keeps it. The new value holds until it is set
        again, also in later tests and suites.

        Args:
            timeout: the new default, e.g. ``1 min`` or ``500ms``.

        Returns:
            The old default as Robot writes times (``30 seconds``).

        Example:
        | ${old} = | `Set AgentCom Timeout` | 2 min |
        | `Wait Until Tasks Are Completed` | ${tasks} | |
        | [Teardown] | `Set AgentCom Timeout` | ${old} |
        """
        seconds = timeout.total_seconds()
        if seconds <= 0:
            raise ValueError(f"The timeout must be above zero, got {secs_to_timestr(seconds)}.")
        old = self.ctx.config.timeout
        self.ctx.config.timeout = seconds
        self.info(f"Wait timeout set to {secs_to_timestr(seconds)} (was {secs_to_timestr(old)}).")
        return secs_to_timestr(old)
