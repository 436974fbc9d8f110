"""The base of every keyword component: shared context and logging helpers."""

from __future__ import annotations

import html
from collections.abc import Callable

from robot.api import logger

from ..agents.simulated import AgentHandle, SimulatedAgent
from ..context import HubSession, LibraryContext
from ..hubapi.client import HubClient
from ..util.timeutil import Deadline

ACK_GRACE = 5.0  # how long to wait for an agent to receive a task_ack the hub already sent


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
        """Wait until ``predicate`` (about the agent's journal) holds (the handle's own
        ``wait_for``: on events, or by polling)."""
        return bool(agent.wait_for(predicate, timeout))

    def agents_by_id(self, agent_id: str | None) -> list[AgentHandle]:
        """This test's agents with that hub agent id (an agent started twice is listed twice)."""
        return [a for a in self.ctx.agents.all() if a.agent_id == agent_id]

    def ack_grace(self) -> float:
        return min(ACK_GRACE, self.ctx.config.timeout)

    def wait_for_acks(self, completers: dict[str, str | None]) -> list[str]:
        """Wait (once, up to the ack grace in all) until each task's completing agent, if it is
        one of this test's, has received the hub's ``task_ack`` ``complete``: the hub records
        a completion before it sends the ack. Returns the tasks whose ack did not come."""
        deadline = Deadline(self.ack_grace())
        mark = self.ctx.test.mark
        missing = []
        for task_id, agent_id in completers.items():
            for agent in self.agents_by_id(agent_id):
                done = lambda a=agent, t=task_id: t in a.completed_ids(mark)  # noqa: E731
                if not self.wait_for_agent(agent, done, deadline.remaining()):
                    missing.append(task_id)
        return missing

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
