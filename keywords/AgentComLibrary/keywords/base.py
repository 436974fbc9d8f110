"""The base of every keyword component: shared context and logging helpers."""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from robot.api import logger

from ..agent import AgentHandle, SimulatedAgent
from ..context import HubSession, LibraryContext
from ..hub_client import HubClient
from ..timeutil import Deadline


class LibraryComponent:
    """Gives a component the shared :class:`LibraryContext` and short log helpers."""

    def __init__(self, ctx: LibraryContext) -> None:
        self.ctx = ctx

    @property
    def session(self) -> HubSession:
        return self.ctx.require_session()

    @property
    def client(self) -> HubClient:
        return self.ctx.client

    def agent(self, name: str) -> AgentHandle:
        return self.ctx.agents.get(name)

    def simulated(self, name: str) -> SimulatedAgent:
        """The named agent, which must be a simulated one (not a sidecar process)."""
        agent = self.agent(name)
        if not isinstance(agent, SimulatedAgent):
            raise TypeError(f"Agent '{name}' is not a simulated agent; this keyword needs one.")
        return agent

    def wait_for_agent(
        self, agent: AgentHandle, predicate: Callable[[], bool], timeout: float
    ) -> bool:
        """Wait until ``predicate`` (about the agent's journal) holds: on the agent's own
        events when it offers ``wait_for``, else by polling."""
        waiter = getattr(agent, "wait_for", None)
        if waiter is not None:
            return bool(waiter(predicate, timeout))
        deadline = Deadline(timeout)
        while not predicate():
            if deadline.expired:
                return False
            time.sleep(self.ctx.config.poll_interval)
        return True

    @staticmethod
    def info(message: str, html: bool = False) -> None:
        logger.info(message, html=html)

    @staticmethod
    def debug(message: str) -> None:
        logger.debug(message)

    @staticmethod
    def warn(message: str) -> None:
        logger.warn(message)

    @staticmethod
    def log_details(summary: str, text: str, level: str = "INFO") -> None:
        """Log ``text`` collapsed under a one-line ``summary`` (HTML ``<details>``)."""
        logger.write(
            f"<details><summary>{html.escape(summary)}</summary>"
            f"<pre>{html.escape(text)}</pre></details>",
            level,
            html=True,
        )
