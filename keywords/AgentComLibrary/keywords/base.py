"""The base of every keyword component: shared context and logging helpers."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robot.utils import secs_to_timestr

from ..agents.simulated import AgentHandle, SimulatedAgent
from ..context import HubSession, LibraryContext
from ..hubapi.client import HubClient
from ..hubapi.task_record import TaskRecord
from ..pool.remote_agent import RemoteAgent
from ..util.errors import AgentComAssertion
from ..util.formatting import id_list, plural, table
from ..util.timeutil import Deadline, seconds
from ..util.waiting import Outcome, Waited, holds_within, wait_until

T = TypeVar("T")

# the last two arguments of every wait keyword (and of checks that wait for a reply)
Timeout = timedelta | None  # how long to wait; None: the library's ``timeout`` (see `Timeouts`)
Message = str | None  # a failure message to use instead of the library's own

ACK_GRACE = 5.0  # how long a wait gives agents to receive a task_ack the hub already sent


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
        """The named agent, which must be a simulated one, here or in an agent pool (not a
        sidecar process)."""
        agent = self.agent(name)
        if not isinstance(agent, (SimulatedAgent, RemoteAgent)):
            raise TypeError(f"Agent '{name}' is not a simulated agent; this keyword needs one.")
        return agent  # type: ignore[return-value]  (a RemoteAgent offers the same calls)

    def known_tasks(self, task_ids: list[str]) -> dict[str, TaskRecord]:
        """The hub's records of the tasks, in the order given; fails naming those the hub
        does not know (404)."""
        found = self.ctx.tasks(task_ids)
        missing = [task_id for task_id, task in found.items() if task is None]
        if missing:
            raise AgentComAssertion(
                f"The hub does not know {plural(len(missing), 'task')} (404): {id_list(missing)}."
            )
        return found  # type: ignore[return-value]

    # -- waiting -------------------------------------------------------------------------

    def wait_timeout(self, timeout: timedelta | None) -> float:
        """A wait keyword's ``timeout`` in seconds; left out: the library's ``timeout``."""
        return seconds(timeout, self.ctx.config.timeout)

    def wait(
        self,
        attempt: Callable[[], Outcome[T]],
        timeout: float,
        failure: Callable[[Outcome[T]], str],
        message: str | None,
        what: str,
        source: object = None,
    ) -> T | None:
        """Wait until ``attempt`` is done (see :func:`~..util.waiting.wait_until`) and log
        how long it took. Without ``source`` it polls the hub every ``poll_interval``,
        keeping only the last attempt's request logs; with a ``source`` that can signal its
        own events (an agent's journal, a probe's messages: ``wait_for(predicate,
        timeout)``) it wakes on those instead. Returns the value of the last attempt, else
        its state."""
        waiter = getattr(source, "wait_for", None)
        with self.client.hold_logs() as new_attempt:

            def logged_attempt() -> Outcome[T]:
                new_attempt()  # request logs of earlier attempts are dropped
                return attempt()

            waited = wait_until(
                logged_attempt,
                timeout,
                interval=self.ctx.config.poll_interval,
                failure=failure,
                message=message,
                waiter=waiter,
            )
        self._log_wait(what, waited, "poll" if waiter is None else "check")
        return waited.value if waited.value is not None else waited.outcome.state  # type: ignore[return-value]

    def _log_wait(self, what: str, waited: Waited, unit: str) -> None:
        elapsed = secs_to_timestr(round(waited.elapsed, 3) or 0.001)
        self.info(f"{what[0].upper()}{what[1:]} after {elapsed} ({plural(waited.attempts, unit)}).")

    def wait_for_agent(
        self, agent: AgentHandle, predicate: Callable[[], bool], timeout: float
    ) -> bool:
        """Whether ``predicate`` (about the agent's journal) holds within ``timeout``, woken
        by the agent's own events (every handle offers ``wait_for``)."""
        return holds_within(predicate, timeout, self.ctx.config.poll_interval, agent.wait_for)

    def agents_by_id(self, agent_id: str | None) -> list[AgentHandle]:
        """This test's agents with that hub agent id (an agent started twice is listed twice)."""
        return [a for a in self.ctx.agents.all() if a.agent_id == agent_id]

    def ack_grace(self) -> float:
        return min(ACK_GRACE, self.ctx.config.timeout)

    def wait_for_acks(self, completers: dict[str, str | None]) -> list[str]:
        """Wait (once, up to the ack grace in all) until each task's completing agent, if it is
        one of this test's, has received the hub's ``task_ack`` ``complete``: the hub records
        a completion before it sends the ack. Waits call this before they return, so checks
        that follow read settled journals. Returns the tasks whose ack did not come."""
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


def fail_listing(headline: str, header: list[str], rows: list[list[object]]) -> None:
    """Fail with ``headline:`` and a table of ``rows``, if there are any."""
    if rows:
        raise AgentComAssertion(f"{headline}:\n{table(header, rows)}")


def robot_variable(name: str, default: str = "") -> str:
    """The value of a Robot variable such as ``${SUITE NAME}`` as text (``default`` when it
    is empty, or outside a Robot run)."""
    with contextlib.suppress(RobotNotRunningError):
        return str(BuiltIn().get_variable_value(name, default) or default)
    return default
